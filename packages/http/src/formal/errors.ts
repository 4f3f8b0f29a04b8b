/**
 * Formal's error body (its OpenAPI): `{"code": "invalid_request", "message": "…"}` with the
 * five codes it documents. The status comes from the one error table (`describeError`).
 */
import type { ErrorCode, ErrorDescription } from "../admin/errors.js";

/** The codes Formal's API documents. */
export type FormalErrorCode =
  | "invalid_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "unimplemented"
  | "internal_error";

/** The body of every Formal error response. */
export interface FormalErrorBody {
  code: FormalErrorCode;
  message: string;
}

// Formal documents no code for conflicts, other methods, oversized or non-JSON bodies: they are
// requests it cannot serve as sent, so `invalid_request`, with the status telling them apart.
const CODES: Record<ErrorCode, FormalErrorCode> = {
  INVALID_ARGUMENT: "invalid_request",
  INVALID_QUERY: "invalid_request",
  QUERY_SYNTAX: "invalid_request",
  INVALID_CURSOR: "invalid_request",
  NOT_FOUND: "not_found",
  CONFLICT: "invalid_request",
  SESSION_LIMIT_REACHED: "invalid_request",
  STORAGE_ERROR: "internal_error",
  UNAUTHENTICATED: "unauthorized",
  FORBIDDEN: "forbidden",
  METHOD_NOT_ALLOWED: "invalid_request",
  PAYLOAD_TOO_LARGE: "invalid_request",
  UNSUPPORTED_MEDIA_TYPE: "invalid_request",
  NOT_IMPLEMENTED: "unimplemented",
  INTERNAL: "internal_error",
  MISCONFIGURED: "internal_error",
};

/** Renders an error description as Formal's error body. */
export function formalErrorBody(error: ErrorDescription): FormalErrorBody {
  return { code: CODES[error.code], message: error.message };
}
