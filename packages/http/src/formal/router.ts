/**
 * Formal's `core.v1.SessionsService` (seed 002) as an Express router over one ledger:
 * Connect-style `POST /core.v1.SessionsService/<Method>` with JSON bodies, for
 * `ListSessionsV2`, `GetSession` and `CreateSessionTermination`.
 */
import { NotFoundError } from "@session-ledger/core";
import { createAdminContext, type DialectHandler } from "../admin/context.js";
import type { FormalLimits } from "../admin/limits.js";
import { type AdminRouterOptions, checkRouterOptions } from "../admin/options.js";
import { readJsonBody } from "../admin/params.js";
import { jsonResponse } from "../admin/reply.js";
import type { AdminRequest } from "../admin/request.js";
import { quote } from "../admin/text.js";
import { formalErrorBody } from "./errors.js";
import {
  parseGetSessionRequest,
  parseListSessionsRequest,
  parseTerminationRequest,
} from "./request.js";
import { formalSession } from "./response.js";

/**
 * Options of {@link createFormalRouter}. `apiKeyAuthenticator` reads Formal's `X-API-KEY`.
 */
export type FormalRouterOptions = AdminRouterOptions<FormalLimits>;

const SERVICE = "/core.v1.SessionsService";

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
export function formalDialect(options: FormalRouterOptions, factory: string): DialectHandler {
  checkRouterOptions(factory, options);
  const { ledger, limits, routes } = createAdminContext(options, "formal", formalErrorBody);
  const readBody = (req: AdminRequest) => readJsonBody(req, { limit: limits.maxBodyBytes });

  return routes([
    {
      method: "POST",
      path: `${SERVICE}/ListSessionsV2`,
      anyOf: ["sessions:read"],
      async handler(req, { tenantId }) {
        const page = await ledger.list(
          tenantId,
          parseListSessionsRequest(await readBody(req), limits),
        );
        const now = ledger.now();
        return jsonResponse({
          sessions: page.items.map((session) => formalSession(session, now)),
          // The seed's list metadata: `after` is the cursor of the next page (the same as
          // `nextCursor`); the ledger pages forward only, so `before` is always empty. On the
          // last page `after` is empty and `nextCursor` is left out.
          listMetadata: {
            after: page.nextCursor ?? "",
            before: "",
            count: page.total ?? 0,
            ...(page.nextCursor !== null && { nextCursor: page.nextCursor }),
          },
        });
      },
    },
    {
      method: "POST",
      path: `${SERVICE}/GetSession`,
      anyOf: ["sessions:read"],
      async handler(req, { tenantId }) {
        const { sessionId } = parseGetSessionRequest(await readBody(req));
        const session = await ledger.get(tenantId, sessionId);
        if (!session) throw new NotFoundError(`session ${quote(sessionId)} not found`);
        return jsonResponse({ session: formalSession(session, ledger.now()) });
      },
    },
    {
      method: "POST",
      path: `${SERVICE}/CreateSessionTermination`,
      anyOf: ["sessions:terminate"],
      async handler(req, { tenantId }) {
        const { sessionId, connectorId } = parseTerminationRequest(await readBody(req));
        const session = await ledger.get(tenantId, sessionId);
        if (!session) throw new NotFoundError(`session ${quote(sessionId)} not found`);
        // Ending an ended session is a no-op, so a retried termination succeeds again.
        await ledger.terminate(tenantId, sessionId);
        return jsonResponse({
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
