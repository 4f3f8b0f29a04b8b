/**
 * Failures of the HTTP layer itself (who is calling, what they sent) and the one place that
 * turns any error into a status, a stable code and a message safe to show. Core errors keep
 * one table for core's codes and one for the codes core has no reason to know, so every
 * dialect answers the same status for the same failure.
 */
import {
  QuerySyntaxError,
  SessionLedgerError,
  type SessionLedgerErrorCode,
  ValidationError,
} from "@session-ledger/core";

/** The status every dialect answers for a core error. */
const CORE_STATUS: Record<SessionLedgerErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  INVALID_QUERY: 400,
  QUERY_SYNTAX: 400,
  INVALID_CURSOR: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  SESSION_LIMIT_REACHED: 409,
  STORAGE_ERROR: 503,
};

/** Codes of failures that only exist over HTTP. */
export type AdminErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "METHOD_NOT_ALLOWED"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE";

const ADMIN_STATUS: Record<AdminErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

/**
 * An HTTP-layer failure: no or unknown credentials, a missing permission, a method the route
 * does not answer, an unusable body.
 */
export class AdminError extends Error {
  override name = "AdminError";
  readonly code: AdminErrorCode;
  /** The parameter or header at fault (`body`, `Content-Type`), when there is one. */
  readonly target: string | undefined;
  /** With `METHOD_NOT_ALLOWED`: the methods the route answers, for the `Allow` header. */
  readonly allow: readonly string[] | undefined;

  constructor(
    code: AdminErrorCode,
    message: string,
    options: { target?: string; allow?: readonly string[] } = {},
  ) {
    super(message);
    this.code = code;
    this.target = options.target;
    this.allow = options.allow;
  }

  get status(): number {
    return ADMIN_STATUS[this.code];
  }
}

/** Every code an error description can carry; `INTERNAL` is anything unexpected. */
export type ErrorCode = SessionLedgerErrorCode | AdminErrorCode | "INTERNAL";

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
 * Describes any thrown value. Unexpected errors (and 5xx of every kind) get a generic message
 * so no stack, driver text or internal name reaches a client.
 */
export function describeError(error: unknown): ErrorDescription {
  if (error instanceof AdminError) {
    const described: ErrorDescription = {
      status: error.status,
      code: error.code,
      message: error.message,
      syntax: false,
      expose: true,
    };
    if (error.target !== undefined) described.target = error.target;
    if (error.allow !== undefined) described.allow = error.allow;
    return described;
  }
  if (error instanceof SessionLedgerError) {
    const status = CORE_STATUS[error.code];
    if (status >= 500) {
      return {
        status,
        code: error.code,
        message: "the session store is unavailable; try again later",
        syntax: false,
        expose: false,
      };
    }
    const described: ErrorDescription = {
      status,
      code: error.code,
      message: error.message,
      syntax: error instanceof QuerySyntaxError,
      expose: true,
    };
    if (error instanceof ValidationError) {
      if (error.target !== undefined) described.target = error.target;
      if (error.position !== undefined) described.position = error.position;
    }
    return described;
  }
  return {
    status: 500,
    code: "INTERNAL",
    message: "an unexpected error occurred",
    syntax: false,
    expose: false,
  };
}
