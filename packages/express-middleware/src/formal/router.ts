/**
 * Formal's `core.v1.SessionsService` (seed 002) as an Express router over one ledger:
 * Connect-style `POST /core.v1.SessionsService/<Method>` with JSON bodies, for
 * `ListSessionsV2`, `GetSession` and `CreateSessionTermination`.
 */
import { NotFoundError, type SessionLedger } from "@session-ledger/core";
import type { Request, Router } from "express";
import { type AdminErrorLogger, createAdminContext } from "../admin/context.js";
import { readJsonBody } from "../admin/params.js";
import type { Authenticate } from "../admin/principal.js";
import { defaultTenant, type TenantResolver } from "../admin/tenant.js";
import { quote } from "../admin/text.js";
import { formalErrorBody } from "./errors.js";
import { formalSession } from "./mapping.js";
import {
  parseGetSessionRequest,
  parseListSessionsRequest,
  parseTerminationRequest,
} from "./request.js";

/** Options of {@link createFormalRouter}. */
export interface FormalRouterOptions {
  ledger: SessionLedger;
  /** Turns a request into a principal, or null (401); `apiKeyAuthenticator` reads `X-API-KEY`. */
  authenticate: Authenticate;
  /**
   * The tenant a request acts in; checked against the principal's tenants.
   * @default the `X-Tenant-Id` header, else the principal's only tenant
   */
  tenant?: TenantResolver;
  /** `limit` when the request has none. @default 100 */
  defaultLimit?: number;
  /** The longest `query` accepted, in characters. @default 4096 */
  maxQueryLength?: number;
  /** Receives server-side failures with their correlation id. @default console.error */
  onError?: AdminErrorLogger;
}

const SERVICE = "/core.v1.SessionsService";
/** Formal's documented bound, which is also the ledger's. */
const MAX_LIMIT = 100_000;
const MAX_BODY_BYTES = 64 * 1024;

/**
 * The Formal router. Mount it at the application root (or under a prefix):
 *
 * ```ts
 * app.use(createFormalRouter({ ledger, authenticate: apiKeyAuthenticator({ keys }) }));
 * ```
 *
 * It reads its own request bodies; mount it before an app-wide `express.json()` so a
 * malformed body gets Formal's error body.
 */
export function createFormalRouter(options: FormalRouterOptions): Router {
  const { ledger } = options;
  const tenant = options.tenant ?? defaultTenant;
  const limits = {
    defaultLimit: options.defaultLimit ?? 100,
    maxLimit: MAX_LIMIT,
    maxQueryLength: options.maxQueryLength ?? 4096,
  };
  const context = createAdminContext({
    authenticate: options.authenticate,
    envelope: formalErrorBody,
    onError: options.onError,
  });
  const readBody = (req: Request) => readJsonBody(req, { limit: MAX_BODY_BYTES });
  const reading = { method: "POST", anyOf: ["sessions:read"], tenant } as const;

  return context.router([
    {
      path: `${SERVICE}/ListSessionsV2`,
      ...reading,
      async handler(req, res, { tenantId }) {
        const request = parseListSessionsRequest(await readBody(req), limits);
        const { limit, filter, sort, cursor } = request;
        const page = await ledger.list(tenantId, { filter, sort, limit, cursor, withTotal: true });
        const now = ledger.now();
        res.json({
          sessions: page.items.map((session) => formalSession(session, now)),
          // No backward paging, so `before` (and `after`) stay unset, which protobuf's JSON
          // form writes by leaving them out; so is `nextCursor` on the last page.
          listMetadata: {
            count: page.total ?? 0,
            ...(page.nextCursor !== null && { nextCursor: page.nextCursor }),
          },
        });
      },
    },
    {
      path: `${SERVICE}/GetSession`,
      ...reading,
      async handler(req, res, { tenantId }) {
        const { sessionId } = parseGetSessionRequest(await readBody(req));
        const session = await ledger.get(tenantId, sessionId);
        if (!session) throw new NotFoundError(`session ${quote(sessionId)} not found`);
        res.json({ session: formalSession(session, ledger.now()) });
      },
    },
    {
      method: "POST",
      path: `${SERVICE}/CreateSessionTermination`,
      anyOf: ["sessions:terminate"],
      tenant,
      async handler(req, res, { tenantId }) {
        const { sessionId, connectorId } = parseTerminationRequest(await readBody(req));
        const session = await ledger.get(tenantId, sessionId);
        if (!session) throw new NotFoundError(`session ${quote(sessionId)} not found`);
        // Ending an ended session is a no-op, so a retried termination succeeds again.
        await ledger.terminate(tenantId, sessionId);
        res.json({
          sessionShutdown: {
            sessionId,
            connectorId,
            createdAt: new Date(ledger.now()).toISOString(),
          },
        });
      },
    },
  ]);
}
