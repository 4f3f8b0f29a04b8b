/**
 * What every entry of the package exports alike: authentication by API key, the principal and
 * permission types, the default tenant rule, the headers the routes read, and the dialects'
 * body types.
 */
export {
  type ApiKeyAuthenticatorOptions,
  apiKeyAuthenticator,
  MIN_API_KEY_LENGTH,
} from "./admin/api-key.js";
export type { AdminErrorLogger } from "./admin/context.js";
export { CORRELATION_HEADER } from "./admin/correlation.js";
export { REQUEST_HEADER } from "./admin/csrf.js";
export type { HeaderSource } from "./admin/headers.js";
export type { AdminLimits, BodyLimits } from "./admin/limits.js";
export { type Permission, type Principal, signedInPrincipal } from "./admin/principal.js";
export { defaultTenant, TENANT_HEADER } from "./admin/tenant.js";
export type { CogniteErrorBody } from "./cognite/errors.js";
export type { CogniteLoginSession } from "./cognite/response.js";
export type { FormalErrorBody, FormalErrorCode } from "./formal/errors.js";
export type { FormalSession, FormalUser } from "./formal/response.js";
export type { LogScaleErrorBody } from "./logscale/errors.js";
export type { LogScaleContext } from "./logscale/resolvers.js";
export type { OctaneErrorBody } from "./octane/errors.js";
export type { OctaneTerminationEvent } from "./octane/router.js";
export type { OctaneSessionPolicy } from "./octane/session-policy.js";
export type { OctaneWhoami } from "./octane/whoami.js";
export type { SaymonErrorBody } from "./saymon/errors.js";
export type { SaymonSessionRecord } from "./saymon/response.js";
