/**
 * Octane's error body (`Exceptions.htm`): `{error_code, correlation_id, description,
 * description_translated, properties, business_error}` with `platform.*` codes.
 */
import type { ErrorCode, ErrorDescription } from "../admin/errors.js";

/** The body of every Octane error response. */
export interface OctaneErrorBody {
  error_code: string;
  correlation_id: string;
  description: string;
  /** Octane localises this; the library answers in English, so it repeats `description`. */
  description_translated: string;
  /** The parameter at fault and the offset inside it, or null. */
  properties: { parameter: string; position?: number } | null;
  /** True for failures of a business rule (a conflict), false for malformed requests. */
  business_error: boolean;
}

const CODES: Record<ErrorCode, string> = {
  INVALID_ARGUMENT: "platform.illegal_field_value",
  INVALID_QUERY: "platform.invalid_query",
  QUERY_SYNTAX: "platform.query_syntax_error",
  INVALID_CURSOR: "platform.illegal_field_value",
  NOT_FOUND: "platform.entity_not_found",
  CONFLICT: "platform.conflict",
  SESSION_LIMIT_REACHED: "platform.conflict",
  STORAGE_ERROR: "platform.service_unavailable",
  UNAUTHENTICATED: "platform.unauthorized",
  FORBIDDEN: "platform.forbidden",
  METHOD_NOT_ALLOWED: "platform.method_not_allowed",
  PAYLOAD_TOO_LARGE: "platform.payload_too_large",
  UNSUPPORTED_MEDIA_TYPE: "platform.unsupported_media_type",
  NOT_IMPLEMENTED: "platform.not_implemented",
  INTERNAL: "platform.general_error",
  MISCONFIGURED: "platform.general_error",
};

/** Renders an error description as Octane's error body. */
export function octaneErrorBody(error: ErrorDescription, correlationId: string): OctaneErrorBody {
  // Octane's own wording for a server fault, so nothing internal leaks through the text.
  const description = error.code === "INTERNAL" ? "General error occurred" : error.message;
  return {
    error_code: CODES[error.code],
    correlation_id: correlationId,
    description,
    description_translated: description,
    properties:
      error.target === undefined
        ? null
        : error.position === undefined
          ? { parameter: error.target }
          : { parameter: error.target, position: error.position },
    business_error: error.status === 409,
  };
}
