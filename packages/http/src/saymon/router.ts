/**
 * SAYMON's users' session log (seed 003) as an Express router over one ledger:
 * `GET /node/api/users/session/log?from&to&limit&skip`, newest first, a bare JSON array.
 */
import { createAdminContext, type DialectHandler } from "../admin/context.js";
import type { SaymonLimits } from "../admin/limits.js";
import { type AdminRouterOptions, checkRouterOptions } from "../admin/options.js";
import { PERMISSIONS, type Permission } from "../admin/principal.js";
import { jsonResponse } from "../admin/reply.js";
import { quote } from "../admin/text.js";
import { saymonErrorBody, unauthenticatedMessage } from "./errors.js";
import { logRequest } from "./request.js";
import { sessionRecord } from "./response.js";

/**
 * Options of {@link createSaymonRouter}. SAYMON clients send Basic auth (`-u login:password`);
 * `apiKeyAuthenticator` takes the key as the password.
 */
export interface SaymonRouterOptions extends AdminRouterOptions<SaymonLimits> {
  /** The permission the log needs. @default "read-session-log" */
  permission?: Permission;
}

const PATH = "/node/api/users/session/log";

/**
 * The SAYMON router. Mount it at the application root (or under a prefix):
 *
 * ```ts
 * app.use(createSaymonRouter({ ledger, authenticate: apiKeyAuthenticator({ keys }) }));
 * ```
 */
export function saymonDialect(options: SaymonRouterOptions, factory: string): DialectHandler {
  checkRouterOptions(factory, options, ["permission"]);
  const permission = options.permission ?? "read-session-log";
  if (!(PERMISSIONS as readonly unknown[]).includes(permission)) {
    throw new TypeError(
      `${factory}: 'permission' must be one of ${PERMISSIONS.map((p) => `'${p}'`).join(", ")}, got ${quote(permission)}`,
    );
  }
  const { ledger, limits, routes } = createAdminContext(options, "saymon", saymonErrorBody, {
    challenge: 'Basic realm="session-ledger", charset="UTF-8"',
    unauthenticated: unauthenticatedMessage,
  });
  return routes([
    {
      method: "GET",
      path: PATH,
      params: ["from", "to", "limit", "skip"],
      anyOf: [permission],
      async handler(_req, { tenantId, params }) {
        const page = await ledger.list(tenantId, logRequest(params, limits));
        return jsonResponse(page.items.map(sessionRecord));
      },
    },
  ]);
}
