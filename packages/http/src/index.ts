/**
 * `@session-ledger/http`: the admin routes of the five seed session APIs as one Web-standard
 * handler, `(request, context?) => Promise<Response | null>`, with no framework dependency.
 * Framework adapters are subpaths: `/express`, `/fastify`, `/hono`, `/koa`, `/next`.
 */
export type { AdminRouterOptions } from "./admin/options.js";
export type { Authenticate } from "./admin/principal.js";
export type { AdminRequest, HandlerContext } from "./admin/request.js";
export type { TenantResolver } from "./admin/tenant.js";
export type { CogniteRouterOptions } from "./cognite/router.js";
export type { FormalRouterOptions } from "./formal/router.js";
export {
  type AdminHandler,
  type AdminHandlerOptions,
  createAdminHandler,
  createCogniteHandler,
  createFormalHandler,
  createLogScaleHandler,
  createOctaneHandler,
  createSaymonHandler,
  DIALECTS,
  type MountOptions,
} from "./handler.js";
export type { LogScaleRouterOptions } from "./logscale/router.js";
export type { OctaneRouterOptions } from "./octane/router.js";
export type { SaymonRouterOptions } from "./saymon/router.js";
export * from "./shared.js";
export {
  type ClientFacts,
  type CookieAttributes,
  clearedCookie,
  clientFactsOf,
  cookieAttributes,
  DEFAULT_COOKIE_NAME,
  type PresentedToken,
  presentedToken,
  readCookie,
  type SessionCookieOptions,
  sessionCookie,
} from "./tracking/web.js";
