/**
 * `@session-ledger/express`: login tracking for Express apps, and admin routers that speak
 * the seed session APIs over one session ledger.
 */

export { type ApiKeyAuthenticatorOptions, apiKeyAuthenticator } from "./admin/api-key.js";
export type { AdminErrorLogger } from "./admin/context.js";
export { CORRELATION_HEADER } from "./admin/correlation.js";
export type { Authenticate, Permission, Principal } from "./admin/principal.js";
export type { OctaneErrorBody } from "./octane/errors.js";
export { createOctaneRouter, type OctaneRouterOptions } from "./octane/router.js";
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
