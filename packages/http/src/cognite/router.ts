/**
 * The Cognite auth API's login sessions of a user principal (seed 000) as an Express router
 * over one ledger: list them with a cursor, and revoke up to ten at a time.
 */
import { NotFoundError } from "@session-ledger/core";
import { createAdminContext, type DialectHandler } from "../admin/context.js";
import type { CogniteLimits } from "../admin/limits.js";
import { type AdminRouterOptions, checkRouterOptions } from "../admin/options.js";
import { readJsonBody } from "../admin/params.js";
import { jsonResponse } from "../admin/reply.js";
import { quote } from "../admin/text.js";
import { cogniteErrorBody } from "./errors.js";
import { listRequest, orgOf, revokeRequest } from "./request.js";
import { loginSession } from "./response.js";

/**
 * Options of {@link createCogniteRouter}. The tenant resolver gets the org id of the path as
 * `fromPath`; by default the org id is the tenant.
 */
export type CogniteRouterOptions = AdminRouterOptions<CogniteLimits>;

const BASE = "/api/v1/orgs/:org/principals/:principal/sessions";

/**
 * The Cognite router. Mount it at the application root (or under a prefix):
 *
 * ```ts
 * app.use(createCogniteRouter({ ledger, authenticate }));
 * ```
 *
 * `:principal` is the user id the host's sessions carry (`user.id`). It reads its own request
 * bodies; mount it before an app-wide `express.json()` so a malformed body gets Cognite's error.
 */
export function cogniteDialect(options: CogniteRouterOptions, factory: string): DialectHandler {
  checkRouterOptions(factory, options);
  const { ledger, limits, routes } = createAdminContext(options, "cognite", cogniteErrorBody);
  const org = { pathTenant: orgOf, tenantNoun: "organization" } as const;
  return routes([
    {
      method: "GET",
      path: BASE,
      params: ["cursor", "limit"],
      anyOf: ["sessions:read"],
      ...org,
      async handler(req, { tenantId, params }) {
        const page = await ledger.list(tenantId, listRequest(req, params, limits));
        const items = page.items.map(loginSession);
        return jsonResponse(
          page.nextCursor === null ? { items } : { items, nextCursor: { cursor: page.nextCursor } },
        );
      },
    },
    {
      method: "POST",
      path: `${BASE}/revoke`,
      anyOf: ["sessions:terminate"],
      ...org,
      async handler(req, { tenantId }) {
        const body = await readJsonBody(req, { limit: limits.maxBodyBytes });
        const { userId, ids, named } = revokeRequest(req, body, limits);
        // All or nothing: an id that is not this principal's session in this org (unknown, or
        // another user's, or another org's: the answer does not tell them apart) fails the
        // request before anything is revoked.
        const owned = await ledger.list(tenantId, { filter: named, limit: ids.length });
        const found = new Set(owned.items.map((session) => session.id));
        const missing = ids.filter((id) => !found.has(id));
        if (missing.length > 0) {
          throw new NotFoundError(
            `no login session ${missing.map(quote).join(", ")} of principal ${quote(userId)} in this organization; nothing was revoked`,
          );
        }
        await ledger.terminateSessions(tenantId, ids);
        const revoked = await ledger.list(tenantId, { filter: named, limit: ids.length });
        const byId = new Map(revoked.items.map((session) => [session.id, session]));
        return jsonResponse({
          items: ids.flatMap((id) => {
            const session = byId.get(id);
            return session ? [loginSession(session)] : [];
          }),
        });
      },
    },
  ]);
}
