/**
 * `@session-ledger/express`: login tracking for Express apps, and admin routers that speak
 * the seed session APIs over one session ledger.
 */

export { type ApiKeyAuthenticatorOptions, apiKeyAuthenticator } from "./admin/api-key.js";
export type { AdminErrorLogger } from "./admin/context.js";
export { CORRELATION_HEADER } from "./admin/correlation.js";
export type { Authenticate, Permission, Principal } from "./admin/principal.js";
export { defaultTenant, TENANT_HEADER, type TenantResolver } from "./admin/tenant.js";
export type { CogniteErrorBody } from "./cognite/errors.js";
export type { CogniteLoginSession } from "./cognite/mapping.js";
export { type CogniteRouterOptions, createCogniteRouter } from "./cognite/router.js";
export type { FormalErrorBody, FormalErrorCode } from "./formal/errors.js";
export type { FormalSession, FormalUser } from "./formal/mapping.js";
export { createFormalRouter, type FormalRouterOptions } from "./formal/router.js";
export { createLogScaleRouter, type LogScaleRouterOptions } from "./logscale/router.js";
export type { LogScaleContext } from "./logscale/schema.js";
export type { OctaneErrorBody } from "./octane/errors.js";
export { createOctaneRouter, type OctaneRouterOptions } from "./octane/router.js";
export type { SaymonErrorBody } from "./saymon/errors.js";
export {
  createSaymonRouter,
  type SaymonRouterOptions,
  type SaymonSessionRecord,
} from "./saymon/router.js";
export {
  DEFAULT_COOKIE_NAME,
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
