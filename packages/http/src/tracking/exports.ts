/** What every adapter's entry exports of login tracking beside its own three functions. */
export {
  DEFAULT_TENANT,
  type TrackedSession,
  type UnauthenticatedReason,
} from "./flow.js";
export { DEFAULT_COOKIE_NAME, type SessionCookieOptions } from "./web.js";
