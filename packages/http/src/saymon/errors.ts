/**
 * SAYMON's error body, `{"code": "BadRequest", "message": "…"}`, with its codes. SAYMON's
 * 401 carries a JSON document in `message` when nobody is logged in
 * (`"{\"errorCode\":3,\"message\":\"Not logged in.\"}"`) and its own code for a wrong
 * login or password.
 */

import type { ErrorCode, ErrorDescription } from "../admin/errors.js";
import type { AdminRequest } from "../admin/request.js";

/** The body of every SAYMON error response. */
export interface SaymonErrorBody {
  code: string;
  message: string;
}

/** The 401 message when the request carries no credentials, as SAYMON words it. */
export const NOT_LOGGED_IN = JSON.stringify({ errorCode: 3, message: "Not logged in." });
/** The 401 message when Basic credentials were sent and not accepted. */
export const INVALID_CREDENTIALS = "Invalid login or password.";
/** The 401 message when a token was sent and not accepted. */
export const INVALID_API_TOKEN = "Invalid API token.";

/** SAYMON words a 401 after what the request presented. */
export function unauthenticatedMessage(req: AdminRequest): string {
  const authorization = req.headers.get("authorization")?.trim() ?? "";
  if (/^basic\s/i.test(authorization)) return INVALID_CREDENTIALS;
  if (authorization !== "" || req.headers.has("x-api-key")) return INVALID_API_TOKEN;
  return NOT_LOGGED_IN;
}

const CODES: Record<ErrorCode, string> = {
  INVALID_ARGUMENT: "BadRequest",
  INVALID_QUERY: "BadRequest",
  QUERY_SYNTAX: "BadRequest",
  INVALID_CURSOR: "BadRequest",
  NOT_FOUND: "NotFound",
  CONFLICT: "Conflict",
  SESSION_LIMIT_REACHED: "Conflict",
  STORAGE_ERROR: "ServiceUnavailable",
  UNAUTHENTICATED: "Unauthorized",
  FORBIDDEN: "Forbidden",
  METHOD_NOT_ALLOWED: "MethodNotAllowed",
  PAYLOAD_TOO_LARGE: "InvalidContent",
  UNSUPPORTED_MEDIA_TYPE: "InvalidContent",
  NOT_IMPLEMENTED: "NotImplemented",
  INTERNAL: "InternalServerError",
  MISCONFIGURED: "InternalServerError",
};

/** Renders an error description as SAYMON's error body. */
export function saymonErrorBody(error: ErrorDescription): SaymonErrorBody {
  // Each 401 is worded by unauthenticatedMessage; this one message has a code of its own.
  const code =
    error.code === "UNAUTHENTICATED" && error.message === INVALID_CREDENTIALS
      ? "InvalidCredentials"
      : CODES[error.code];
  return { code, message: error.message };
}
