/**
 * SAYMON's users' session log (seed 003) as an Express router over one ledger:
 * `GET /node/api/users/session/log?from&to&limit&skip`, newest first, a bare JSON array.
 */
import {
  allOf,
  type Filter,
  type Session,
  type SessionLedger,
  type SortKey,
  ValidationError,
} from "@session-ledger/core";
import type { Request, Router } from "express";
import { type AdminErrorLogger, createAdminContext } from "../admin/context.js";
import { AdminError } from "../admin/errors.js";
import { integerParam, offsetParam } from "../admin/params.js";
import type { Authenticate } from "../admin/principal.js";
import { defaultTenant, type TenantResolver } from "../admin/tenant.js";
import {
  INVALID_API_TOKEN,
  INVALID_CREDENTIALS,
  NOT_LOGGED_IN,
  saymonErrorBody,
} from "./errors.js";

/** Options of {@link createSaymonRouter}. */
export interface SaymonRouterOptions {
  ledger: SessionLedger;
  /**
   * Turns a request into a principal, or null (401). SAYMON clients send Basic auth
   * (`-u login:password`); `apiKeyAuthenticator` takes the key as the password.
   */
  authenticate: Authenticate;
  /**
   * The tenant a request acts in; checked against the principal's tenants.
   * @default the `X-Tenant-Id` header, else the principal's only tenant
   */
  tenant?: TenantResolver;
  /** The permission the log needs. @default "read-session-log" */
  permission?: string;
  /** `limit` when the request has none. @default 100 */
  defaultLimit?: number;
  /** The largest `limit` accepted. @default 10000 */
  maxLimit?: number;
  /** Receives server-side failures with their correlation id. @default console.error */
  onError?: AdminErrorLogger;
}

/** One record of the session log. */
export interface SaymonSessionRecord {
  id: string;
  userId: string;
  login: string;
  startTime: number;
  /** Null while the session is open. */
  endTime: number | null;
  /** When the session ends (or ended) through inactivity or its maximum lifetime. */
  expiredAt: number;
}

const PATH = "/node/api/users/session/log";
const NEWEST_FIRST: SortKey[] = [{ field: "creation_time", direction: "desc" }];
/** The last instant a JavaScript date can hold. */
const MAX_TIME = 8.64e15;

function sessionRecord(session: Session): SaymonSessionRecord {
  return {
    id: session.id,
    userId: session.user.id,
    login: session.user.login,
    startTime: session.createdAt,
    endTime: session.endedAt,
    expiredAt: session.expiresAt,
  };
}

/** SAYMON words a 401 after what the request presented. */
function unauthenticatedMessage(req: Request): string {
  const authorization = req.headers.authorization?.trim() ?? "";
  if (/^basic\s/i.test(authorization)) return INVALID_CREDENTIALS;
  if (authorization !== "" || req.headers["x-api-key"] !== undefined) return INVALID_API_TOKEN;
  return NOT_LOGGED_IN;
}

/**
 * The SAYMON router. Mount it at the application root (or under a prefix):
 *
 * ```ts
 * app.use(createSaymonRouter({ ledger, authenticate: apiKeyAuthenticator({ keys }) }));
 * ```
 */
export function createSaymonRouter(options: SaymonRouterOptions): Router {
  const { ledger } = options;
  const tenant = options.tenant ?? defaultTenant;
  const permission = options.permission ?? "read-session-log";
  const defaultLimit = options.defaultLimit ?? 100;
  const maxLimit = options.maxLimit ?? 10_000;
  const context = createAdminContext({
    async authenticate(req) {
      const principal = await options.authenticate(req);
      if (principal) return principal;
      throw new AdminError("UNAUTHENTICATED", unauthenticatedMessage(req));
    },
    envelope: saymonErrorBody,
    onError: options.onError,
    challenge: 'Basic realm="session-ledger", charset="UTF-8"',
  });
  return context.router([
    {
      method: "GET",
      path: PATH,
      params: ["from", "to", "limit", "skip"],
      anyOf: [permission],
      tenant,
      async handler(_req, res, { tenantId, params }) {
        const time = (name: string) =>
          params.has(name)
            ? integerParam(params, name, { min: 0, max: MAX_TIME, fallback: 0 })
            : null;
        const from = time("from");
        const to = time("to");
        if (from !== null && to !== null && from > to) {
          throw new ValidationError(`from (${from}) must not be later than to (${to})`, {
            target: "from",
          });
        }
        const limit = integerParam(params, "limit", {
          min: 1,
          max: maxLimit,
          fallback: defaultLimit,
        });
        const skip = offsetParam(params, "skip");
        // Both bounds are inclusive and apply to the start of the session.
        const bounds: Filter[] = [];
        if (from !== null) bounds.push(startTime("GE", from));
        if (to !== null) bounds.push(startTime("LE", to));
        const filter = allOf(bounds);
        // Newest first, so `skip` counts from the last record, as SAYMON documents it.
        const page = await ledger.list(tenantId, {
          filter,
          sort: NEWEST_FIRST,
          limit,
          offset: skip,
        });
        res.json(page.items.map(sessionRecord));
      },
    },
  ]);
}

const startTime = (op: "GE" | "LE", at: number): Filter => ({
  kind: "compare",
  field: "creation_time",
  op,
  value: { kind: "time", value: at },
});
