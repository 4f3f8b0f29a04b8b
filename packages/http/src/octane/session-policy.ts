/**
 * A tenant's session policy over Octane's URL scheme (an extension the console's settings use):
 * `GET /api/shared_spaces/:space/session_policy` reads it, `PUT` with a JSON object of the
 * settings to change writes it. Names are the API's snake_case of core's `TenantPolicy`.
 */
import { type SessionLedger, type TenantPolicy, ValidationError } from "@session-ledger/core";
import type { AdminRoute } from "../admin/context.js";
import { requireRequestHeader } from "../admin/csrf.js";
import { readJsonBody } from "../admin/params.js";
import { jsonResponse } from "../admin/reply.js";
import { quote } from "../admin/text.js";

/** A tenant's session policy as the API writes it. */
export interface OctaneSessionPolicy {
  idle_timeout_ms: number;
  max_lifetime_ms: number;
  touch_resolution_ms: number;
  max_sessions_per_user: number | null;
  on_session_limit: TenantPolicy["onSessionLimit"];
}

const KEYS = {
  idle_timeout_ms: "idleTimeoutMs",
  max_lifetime_ms: "maxLifetimeMs",
  touch_resolution_ms: "touchResolutionMs",
  max_sessions_per_user: "maxSessionsPerUser",
  on_session_limit: "onSessionLimit",
} as const satisfies Record<keyof OctaneSessionPolicy, keyof TenantPolicy>;

const toApi = (policy: TenantPolicy): OctaneSessionPolicy => ({
  idle_timeout_ms: policy.idleTimeoutMs,
  max_lifetime_ms: policy.maxLifetimeMs,
  touch_resolution_ms: policy.touchResolutionMs,
  max_sessions_per_user: policy.maxSessionsPerUser,
  on_session_limit: policy.onSessionLimit,
});

/**
 * The settings a PUT body changes, in core's names; core checks their values.
 * @throws ValidationError (target `body`) for anything but an object of known settings
 */
function patchFromBody(body: unknown): Partial<TenantPolicy> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError(
      `body must be a JSON object of settings, e.g. {"idle_timeout_ms":900000}`,
      { target: "body" },
    );
  }
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!Object.hasOwn(KEYS, key)) {
      throw new ValidationError(
        `body: unknown setting ${quote(key)}; expected ${Object.keys(KEYS).join(", ")}`,
        { target: "body" },
      );
    }
    patch[KEYS[key as keyof typeof KEYS]] = value;
  }
  if (Object.keys(patch).length === 0) {
    throw new ValidationError("body must name at least one setting", { target: "body" });
  }
  return patch as Partial<TenantPolicy>;
}

/** The policy routes, for the Octane router's list. */
export function sessionPolicyRoutes(
  base: string,
  space: Pick<AdminRoute, "pathTenant" | "tenantNoun">,
  { ledger, maxBodyBytes }: { ledger: SessionLedger; maxBodyBytes: number },
): AdminRoute[] {
  const path = `${base}/session_policy`;
  return [
    {
      method: "GET",
      path,
      anyOf: ["sessions:settings", "sessions:read"],
      ...space,
      async handler(_req, { tenantId }) {
        return jsonResponse(toApi(await ledger.getPolicy(tenantId)));
      },
    },
    {
      method: "PUT",
      path,
      anyOf: ["sessions:settings"],
      ...space,
      async handler(req, { tenantId }) {
        requireRequestHeader(req);
        const patch = patchFromBody(
          await readJsonBody(req, { limit: Math.min(maxBodyBytes, 4096) }),
        );
        return jsonResponse(toApi(await ledger.setPolicy(tenantId, patch)));
      },
    },
  ];
}
