/**
 * `@session-ledger/express`: login tracking for Express apps, and admin routers that speak
 * the seed session APIs over one session ledger.
 */

export {
  type ApiKeyAuthenticatorOptions,
  apiKeyAuthenticator,
  MIN_API_KEY_LENGTH,
} from "./admin/api-key.js";
export type { AdminErrorLogger } from "./admin/context.js";
export { CORRELATION_HEADER } from "./admin/correlation.js";
export { REQUEST_HEADER } from "./admin/csrf.js";
export type { AdminLimits, BodyLimits } from "./admin/limits.js";
export type { AdminRouterOptions } from "./admin/options.js";
export {
  type Authenticate,
  type Permission,
  type Principal,
  signedInPrincipal,
} from "./admin/principal.js";
export { defaultTenant, TENANT_HEADER, type TenantResolver } from "./admin/tenant.js";
export type { CogniteErrorBody } from "./cognite/errors.js";
export type { CogniteLoginSession } from "./cognite/response.js";
export { type CogniteRouterOptions, createCogniteRouter } from "./cognite/router.js";
export type { FormalErrorBody, FormalErrorCode } from "./formal/errors.js";
export type { FormalSession, FormalUser } from "./formal/response.js";
export { createFormalRouter, type FormalRouterOptions } from "./formal/router.js";
export type { LogScaleErrorBody } from "./logscale/errors.js";
export type { LogScaleContext } from "./logscale/resolvers.js";
export { createLogScaleRouter, type LogScaleRouterOptions } from "./logscale/router.js";
export type { OctaneErrorBody } from "./octane/errors.js";
export {
  createOctaneRouter,
  type OctaneRouterOptions,
  type OctaneTerminationEvent,
} from "./octane/router.js";
export type { OctaneSessionPolicy } from "./octane/session-policy.js";
export type { OctaneWhoami } from "./octane/whoami.js";
export type { SaymonErrorBody } from "./saymon/errors.js";
export type { SaymonSessionRecord } from "./saymon/response.js";
export { createSaymonRouter, type SaymonRouterOptions } from "./saymon/router.js";
export {
  DEFAULT_COOKIE_NAME,
  DEFAULT_TENANT,
  type EndSessionOptions,
  endSession,
  type IssueSessionOptions,
  issueSession,
  type SessionCookieOptions,
  type SessionTrackingOptions,
  sessionTracking,
  type TrackedSession,
  type UnauthenticatedReason,
} from "./tracking/tracking.js";
