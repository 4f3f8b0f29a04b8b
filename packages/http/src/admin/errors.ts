/**
 * Failures of the HTTP layer itself (who is calling, what they sent) and the one place that
 * turns any error into a status, a stable code and a message safe to show. One hierarchy,
 * rooted at core's `SessionLedgerError`, and one table from its codes (core's and the
 * HTTP-only ones) to statuses, so every dialect answers the same status for the same failure.
 */
import {
  QuerySyntaxError,
  SessionLedgerError,
  type SessionLedgerErrorCode,
  ValidationError,
} from "@session-ledger/core";

/** Codes of failures that only exist over HTTP. */
export type AdminErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "METHOD_NOT_ALLOWED"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "NOT_IMPLEMENTED"
  /** The host's code handed the routers something unusable (a malformed principal). */
  | "MISCONFIGURED";

/** Every code an error description can carry; `INTERNAL` is anything unexpected. */
export type ErrorCode = SessionLedgerErrorCode | AdminErrorCode | "INTERNAL";

/**
 * The one table: the status every dialect answers for each code. Each dialect's envelope is a
 * `Record<ErrorCode, …>` as well, so a new code is a compile error here and in every dialect.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  INVALID_QUERY: 400,
  QUERY_SYNTAX: 400,
  INVALID_CURSOR: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  SESSION_LIMIT_REACHED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  MISCONFIGURED: 500,
  NOT_IMPLEMENTED: 501,
  STORAGE_ERROR: 503,
};

/** What a client is told of a server fault; the error itself goes to the log. */
const SERVER_FAULT: Partial<Record<ErrorCode, string>> = {
  STORAGE_ERROR: "the session store is unavailable; try again later",
};

const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === "string" && Object.hasOwn(HTTP_STATUS, code);

/**
 * An HTTP-layer failure: no or unknown credentials, a missing permission, a method the route
 * does not answer, an unusable body. A `SessionLedgerError` like core's, with codes of its own.
 */
export class AdminError extends SessionLedgerError<AdminErrorCode> {
  override name = "AdminError";
  /** The parameter or header at fault (`body`, `Content-Type`), when there is one. */
  readonly target: string | undefined;
  /** With `METHOD_NOT_ALLOWED`: the methods the route answers, for the `Allow` header. */
  readonly allow: readonly string[] | undefined;

  constructor(
    code: AdminErrorCode,
    message: string,
    options: { target?: string; allow?: readonly string[]; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.target = options.target;
    this.allow = options.allow;
  }
}

/** What a dialect needs to render an error in its own envelope. */
export interface ErrorDescription {
  status: number;
  code: ErrorCode;
  /** Safe to show: the error's own message for 4xx, a generic sentence for 5xx. */
  message: string;
  /** The parameter or field at fault (`query`, `limit`, `body`…), when known. */
  target?: string;
  /** 0-based offset inside `target`'s text, when the fault lies inside one. */
  position?: number;
  /** True when the error is a syntax error of a query-like parameter. */
  syntax: boolean;
  /** False for 5xx: the server, not the request, failed, and the details stay in the log. */
  expose: boolean;
  /** With a 405: the methods the route answers, sent as `Allow`. */
  allow?: readonly string[];
}

/**
 * Describes any thrown value through {@link HTTP_STATUS}. Server faults (5xx of every kind, and
 * anything that is not a `SessionLedgerError` with a known code) get a generic message, so no
 * stack, driver text or internal name reaches a client.
 */
export function describeError(error: unknown): ErrorDescription {
  const code =
    error instanceof SessionLedgerError && isErrorCode(error.code) ? error.code : "INTERNAL";
  const status = HTTP_STATUS[code];
  // A 501 says what the host has not installed, and a MISCONFIGURED 500 what the host's own
  // code got wrong, in our own words (kinds of values, never the values): nothing to hide.
  if (status >= 500 && code !== "NOT_IMPLEMENTED" && code !== "MISCONFIGURED") {
    return {
      status,
      code,
      message: SERVER_FAULT[code] ?? "an unexpected error occurred",
      syntax: false,
      expose: false,
    };
  }
  const described: ErrorDescription = {
    status,
    code,
    message: (error as SessionLedgerError<ErrorCode>).message,
    syntax: error instanceof QuerySyntaxError,
    expose: true,
  };
  if (error instanceof ValidationError || error instanceof AdminError) {
    if (error.target !== undefined) described.target = error.target;
  }
  if (error instanceof ValidationError && error.position !== undefined) {
    described.position = error.position;
  }
  if (error instanceof AdminError && error.allow !== undefined) described.allow = error.allow;
  return described;
}
