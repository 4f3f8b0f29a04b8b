/**
 * LogScale's errors, as GraphQL servers write them: `{"errors": [{"message", "extensions":
 * {"code"}}]}`, with the codes GraphQL servers commonly use. The status of a failure before
 * execution comes from the one error table (`describeError`); failures inside a field are
 * GraphQL errors of that field, which graphql-http answers as GraphQL over HTTP prescribes.
 */
import { GraphQLError } from "graphql";
import { describeError, type ErrorCode, type ErrorDescription } from "../admin/errors.js";

/** The `extensions.code` of each failure. */
export const GRAPHQL_ERROR_CODES: Readonly<Record<ErrorCode, string>> = {
  INVALID_ARGUMENT: "BAD_USER_INPUT",
  INVALID_QUERY: "BAD_USER_INPUT",
  QUERY_SYNTAX: "BAD_USER_INPUT",
  INVALID_CURSOR: "BAD_USER_INPUT",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  SESSION_LIMIT_REACHED: "CONFLICT",
  STORAGE_ERROR: "INTERNAL_SERVER_ERROR",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
  PAYLOAD_TOO_LARGE: "BAD_REQUEST",
  UNSUPPORTED_MEDIA_TYPE: "BAD_REQUEST",
  NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
  INTERNAL: "INTERNAL_SERVER_ERROR",
  MISCONFIGURED: "INTERNAL_SERVER_ERROR",
};

/** LogScale's 401 message. */
export const UNAUTHENTICATED_MESSAGE =
  "authentication required: send a token (Authorization: Bearer or X-API-KEY)";

/** The body of a LogScale error response outside execution (401, 403, 405, a bad body). */
export interface LogScaleErrorBody {
  errors: [{ message: string; extensions: { code: string } }];
}

/** Renders an error description as a GraphQL-over-HTTP error response. */
export function logScaleErrorBody(error: ErrorDescription): LogScaleErrorBody {
  return {
    errors: [{ message: error.message, extensions: { code: GRAPHQL_ERROR_CODES[error.code] } }],
  };
}

/**
 * A resolver's failure as a GraphQL error whose `extensions.code` names it. Server faults (a
 * store error, anything unexpected) get a generic message; the original stays on
 * `originalError` for the log.
 */
export function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const described = describeError(error);
  return new GraphQLError(described.message, {
    extensions: { code: GRAPHQL_ERROR_CODES[described.code] },
    originalError: error instanceof Error ? error : undefined,
  });
}

/**
 * What a resolver threw, under the GraphQL errors that wrap it; null for the GraphQL errors
 * the schema raises on purpose (a missing permission, an unknown session), which have none.
 */
export function causeOf(error: GraphQLError): unknown {
  let cause: unknown = error;
  while (cause instanceof GraphQLError) {
    if (!cause.originalError) return null;
    cause = cause.originalError;
  }
  return cause;
}
