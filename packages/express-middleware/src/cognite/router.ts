/**
 * The Cognite auth API's login sessions of a user principal (seed 000) as an Express router
 * over one ledger: list them with a cursor, and revoke up to ten at a time.
 */
import {
  type Filter,
  NotFoundError,
  type SessionLedger,
  type SortKey,
  ValidationError,
} from "@session-ledger/core";
import type { Request, Router } from "express";
import { type AdminErrorLogger, createAdminContext } from "../admin/context.js";
import { integerParam, optionalParam, readJsonBody } from "../admin/params.js";
import type { Authenticate } from "../admin/principal.js";
import { quote, requireId } from "../admin/text.js";
import { cogniteErrorBody } from "./errors.js";
import { loginSession } from "./mapping.js";
import { idsFromRevokeBody } from "./revoke.js";

/** Options of {@link createCogniteRouter}. */
export interface CogniteRouterOptions {
  ledger: SessionLedger;
  /** Turns a request into a principal, or null (401). See `apiKeyAuthenticator`. */
  authenticate: Authenticate;
  /**
   * The tenant whose sessions an org's routes act on; the result is checked against the
   * caller's tenants. @default the org id itself
   */
  tenantForOrg?: (org: string) => string | Promise<string>;
  /** Receives server-side failures with their correlation id. @default console.error */
  onError?: AdminErrorLogger;
}

/** Cognite's org ids: 3 to 64 lower-case letters, digits and inner hyphens, a letter first. */
export const COGNITE_ORG_PATTERN = /^([a-z][a-z0-9-]{1,62}[a-z0-9])$/;

const BASE = "/api/v1/orgs/:org/principals/:principal/sessions";
const NEWEST_FIRST: SortKey[] = [{ field: "creation_time", direction: "desc" }];
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
// Ten ids of at most 256 characters fit with room to spare.
const MAX_BODY_BYTES = 16 * 1024;

function orgOf(req: Request): string {
  const org = req.params.org;
  if (typeof org !== "string" || !COGNITE_ORG_PATTERN.test(org)) {
    throw new ValidationError(
      `org ${quote(org)} is not an organization id: 3 to 64 characters matching ${COGNITE_ORG_PATTERN.source}`,
      { target: "org" },
    );
  }
  return org;
}

/** The `:principal` path parameter: the user whose login sessions the route acts on. */
const userIdOf = (req: Request): string =>
  requireId("principal", req.params.principal, { noun: "a user id" });

const sessionsOfUser = (userId: string): Filter => ({
  kind: "user",
  filter: { kind: "compare", field: "user.id", op: "EQ", value: { kind: "text", value: userId } },
});

/**
 * The Cognite router. Mount it at the application root (or under a prefix):
 *
 * ```ts
 * app.use(createCogniteRouter({ ledger, authenticate, tenantForOrg: (org) => org }));
 * ```
 *
 * `:principal` is the user id the host's sessions carry (`user.id`). It reads its own request
 * bodies; mount it before an app-wide `express.json()` so a malformed body gets Cognite's error.
 */
export function createCogniteRouter(options: CogniteRouterOptions): Router {
  const { ledger } = options;
  const tenantForOrg = options.tenantForOrg ?? ((org: string) => org);
  const context = createAdminContext({
    authenticate: options.authenticate,
    envelope: cogniteErrorBody,
    onError: options.onError,
  });
  const tenant = (req: Request) => tenantForOrg(orgOf(req));

  return context.router([
    {
      method: "GET",
      path: BASE,
      params: ["cursor", "limit"],
      anyOf: ["sessions:read"],
      tenant,
      tenantNoun: "organization",
      async handler(req, res, { tenantId, params }) {
        const userId = userIdOf(req);
        const limit = integerParam(params, "limit", {
          min: 1,
          max: MAX_LIMIT,
          fallback: DEFAULT_LIMIT,
        });
        const cursor = optionalParam(params, "cursor");
        // Newest first, by creation time then id: a key that never changes, so a cursor walk
        // sees every session that existed throughout exactly once, whatever ends meanwhile.
        const page = await ledger.list(tenantId, {
          filter: sessionsOfUser(userId),
          sort: NEWEST_FIRST,
          limit,
          cursor: cursor ?? null,
        });
        const items = page.items.map(loginSession);
        res.json(
          page.nextCursor === null ? { items } : { items, nextCursor: { cursor: page.nextCursor } },
        );
      },
    },
    {
      method: "POST",
      path: `${BASE}/revoke`,
      anyOf: ["sessions:terminate"],
      tenant,
      tenantNoun: "organization",
      async handler(req, res, { tenantId }) {
        const userId = userIdOf(req);
        const ids = idsFromRevokeBody(await readJsonBody(req, { limit: MAX_BODY_BYTES }));
        const named: Filter = {
          kind: "and",
          items: [
            sessionsOfUser(userId),
            { kind: "in", field: "id", values: ids.map((id) => ({ kind: "text", value: id })) },
          ],
        };
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
        res.json({
          items: ids.flatMap((id) => {
            const session = byId.get(id);
            return session ? [loginSession(session)] : [];
          }),
        });
      },
    },
  ]);
}
