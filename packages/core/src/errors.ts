/**
 * Every error the library raises on purpose is a `SessionLedgerError` with a stable,
 * UPPER_SNAKE `code`. The express package maps codes to HTTP statuses and to each dialect's
 * error body through tables keyed by the code, so a new code is a compile error there until
 * it has a row.
 */
export type SessionLedgerErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_QUERY"
  | "QUERY_SYNTAX"
  | "INVALID_CURSOR"
  | "NOT_FOUND"
  | "CONFLICT"
  | "SESSION_LIMIT_REACHED"
  | "STORAGE_ERROR";

/**
 * The base of every error the library raises on purpose. `Code` is core's codes unless a
 * package built on core adds codes of its own (the express package's HTTP-only ones): a
 * subclass names its union, so each table keyed by the codes still has to list every one.
 */
export class SessionLedgerError<Code extends string = SessionLedgerErrorCode> extends Error {
  override name = "SessionLedgerError";
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A value that crossed a boundary is not acceptable: names what and where. */
export class ValidationError extends SessionLedgerError {
  override name = "ValidationError";
  /** The argument, parameter or field at fault, e.g. `limit` or `query`. */
  readonly target: string | undefined;
  /** 0-based character position inside a query, when the fault lies inside one. */
  readonly position: number | undefined;

  constructor(
    message: string,
    options: {
      target?: string;
      position?: number;
      code?: SessionLedgerErrorCode;
      cause?: unknown;
    } = {},
  ) {
    super(options.code ?? "INVALID_ARGUMENT", message, { cause: options.cause });
    this.target = options.target;
    this.position = options.position;
  }
}

/** The query text does not follow the grammar; `position` is the 0-based offset of the fault. */
export class QuerySyntaxError extends ValidationError {
  override name = "QuerySyntaxError";
  override readonly position: number;
  /** What the parser was looking for, e.g. "a value after `creation_time>`". */
  readonly expected: string;

  constructor(expected: string, position: number, target = "query") {
    super(`${target}: expected ${expected} at ${position}`, {
      target,
      position,
      code: "QUERY_SYNTAX",
    });
    this.expected = expected;
    this.position = position;
  }
}

export class NotFoundError extends SessionLedgerError {
  override name = "NotFoundError";
  constructor(message: string) {
    super("NOT_FOUND", message);
  }
}

export class ConflictError extends SessionLedgerError {
  override name = "ConflictError";
  constructor(message: string, code: SessionLedgerErrorCode = "CONFLICT") {
    super(code, message);
  }
}

/** The store failed underneath; the original driver error is the `cause`. */
export class StorageError extends SessionLedgerError {
  override name = "StorageError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("STORAGE_ERROR", message, options);
  }
}
