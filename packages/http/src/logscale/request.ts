/**
 * LogScale's requests: a GraphQL-over-HTTP body, checked before graphql-http sees it; its
 * document, bounded before graphql-js parses it (the parser, the validation rules and the
 * executor all recurse once per level of nesting, so a document nested a few thousand levels
 * deep overflows the stack, and a long one costs time in each); and the arguments of the
 * `sessions` query, read into what the ledger is asked.
 */
import {
  allOf,
  type Filter,
  type ListOptions,
  type SortKey,
  ValidationError,
} from "@session-ledger/core";
import { type DocumentNode, GraphQLError, Lexer, parse, Source, TokenKind } from "graphql";
import type { RequestParams } from "graphql-http";
import { checkBuilt, sessionsOfUser } from "../admin/filters.js";
import type { AdminLimits } from "../admin/limits.js";
import { badCharacterAt, describeCharacter, quote } from "../admin/text.js";

/** The deepest nesting of `{`, `[` and `(` a document may have (introspection needs 10). */
export const MAX_DOCUMENT_DEPTH = 32;
/** The most tokens a document may have (graphql-js's `maxTokens`). */
export const MAX_DOCUMENT_TOKENS = 10_000;

const OPENERS = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSERS = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Parses a document as graphql-js does, after a scan with its lexer (which does not recurse)
 * refuses one nested deeper than {@link MAX_DOCUMENT_DEPTH} or holding a string with a
 * control character other than tab and line breaks; parsing then stops after
 * {@link MAX_DOCUMENT_TOKENS} tokens. Failures are syntax errors with their location, which
 * graphql-http answers like any other document that does not parse.
 * @throws GraphQLError
 */
export function parseDocument(text: string | Source): DocumentNode {
  const source = typeof text === "string" ? new Source(text) : text;
  const lexer = new Lexer(source);
  let depth = 0;
  let tokens = 0;
  // Past the token bound, parse() below reports it.
  for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
    if (++tokens > MAX_DOCUMENT_TOKENS) break;
    if (OPENERS.has(token.kind) && ++depth > MAX_DOCUMENT_DEPTH) {
      throw new GraphQLError(
        `Syntax Error: Document nests deeper than ${MAX_DOCUMENT_DEPTH} levels of {, [ and (. Parsing aborted.`,
        { source, positions: [token.start] },
      );
    }
    if (CLOSERS.has(token.kind)) depth--;
    if (token.kind === TokenKind.STRING || token.kind === TokenKind.BLOCK_STRING) {
      const value = token.value ?? "";
      const at = badCharacterAt(value, { breaks: true });
      if (at >= 0) {
        throw new GraphQLError(
          `Syntax Error: ${describeCharacter(value[at]!, value[at + 1])} in a string.`,
          { source, positions: [token.start] },
        );
      }
    }
  }
  return parse(source, { maxTokens: MAX_DOCUMENT_TOKENS });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const absent = (value: unknown) => value === undefined || value === null;

/**
 * The parameters of a GraphQL-over-HTTP body: `query` (a string), and optionally
 * `operationName` (a string), `variables` and `extensions` (objects). Other keys are ignored,
 * as the GraphQL-over-HTTP spec lets servers do.
 * @throws ValidationError naming the parameter at fault
 */
export function requestParams(body: unknown): RequestParams {
  if (!isRecord(body)) {
    throw new ValidationError('body: must be a JSON object: {"query": "…"}', { target: "body" });
  }
  const { query, operationName, variables, extensions } = body;
  if (absent(query)) {
    throw new ValidationError('Missing query: send {"query": "…"}', { target: "query" });
  }
  if (typeof query !== "string") {
    throw new ValidationError(`query must be a string, got ${quote(query)}`, { target: "query" });
  }
  if (!absent(operationName) && typeof operationName !== "string") {
    throw new ValidationError(`operationName must be a string, got ${quote(operationName)}`, {
      target: "operationName",
    });
  }
  for (const [name, value] of [
    ["variables", variables],
    ["extensions", extensions],
  ] as const) {
    if (!absent(value) && !isRecord(value)) {
      throw new ValidationError(`${name} must be an object, got ${quote(value)}`, { target: name });
    }
  }
  return {
    query,
    operationName: operationName as string | null | undefined,
    variables: variables as Record<string, unknown> | null | undefined,
    extensions: extensions as Record<string, unknown> | null | undefined,
  };
}

/** The longest `searchFilter`. */
const MAX_SEARCH_LENGTH = 256;

/** The `sortBy` values and the fields they sort by; ties by id. */
export const SORT_FIELDS: Readonly<Record<string, readonly SortKey["field"][]>> = {
  LastActivityTime: ["last_activity_time"],
  LoginTime: ["creation_time"],
  IPAddress: ["client_ip"],
  Location: ["country", "city"],
  ClientInfo: ["browser", "os", "device"],
  User: ["user"],
};

/** The arguments of `sessions`, with the schema's defaults applied by graphql-js. */
export interface SessionsArgs {
  searchFilter?: string | null;
  level: "Organization" | "User";
  sortBy: keyof typeof SORT_FIELDS;
  orderBy: "ASC" | "DESC";
  skip: number;
  limit: number;
  onlyActiveSessions: boolean;
}

const substring = (
  field: "user.login" | "user.email" | "user.full_name",
  term: string,
): Filter => ({
  kind: "compare",
  field,
  op: "EQ",
  value: { kind: "pattern", parts: ["", term, ""] },
});

/** The `searchFilter` substring, matched against the user's login, email and name. */
function searchFilter(term: string): Filter {
  if (term.length > MAX_SEARCH_LENGTH) {
    throw new ValidationError(`searchFilter must be at most ${MAX_SEARCH_LENGTH} characters`, {
      target: "searchFilter",
    });
  }
  return {
    kind: "user",
    filter: {
      kind: "or",
      items: [
        substring("user.login", term),
        substring("user.email", term),
        substring("user.full_name", term),
      ],
    },
  };
}

const ACTIVE: Filter = {
  kind: "compare",
  field: "status",
  op: "EQ",
  value: { kind: "text", value: "ACTIVE" },
};

/**
 * What a `sessions` query asks the ledger: at `level: User` the caller's own sessions.
 * @throws ValidationError naming the argument at fault
 */
export function sessionsRequest(
  args: SessionsArgs,
  caller: { userId: string | null },
  limits: AdminLimits,
): ListOptions {
  if (!Number.isInteger(args.limit) || args.limit < 1 || args.limit > limits.maxPageSize) {
    throw new ValidationError(`limit must be from 1 to ${limits.maxPageSize}, got ${args.limit}`, {
      target: "limit",
    });
  }
  if (args.skip < 0) {
    throw new ValidationError(`skip must not be negative, got ${args.skip}`, { target: "skip" });
  }
  const conditions: Filter[] = [];
  if (args.level === "User") {
    if (!caller.userId) {
      throw new ValidationError("level User needs a caller with a user id", { target: "level" });
    }
    conditions.push(sessionsOfUser(caller.userId));
  }
  if (args.onlyActiveSessions) conditions.push(ACTIVE);
  if (args.searchFilter) conditions.push(searchFilter(args.searchFilter));
  const filter = allOf(conditions);
  const direction = args.orderBy === "DESC" ? "desc" : "asc";
  return {
    filter: filter && checkBuilt(filter, limits, "searchFilter"),
    sort: (SORT_FIELDS[args.sortBy] ?? []).map((field) => ({ field, direction })),
    limit: args.limit,
    offset: args.skip,
    withTotal: true,
  };
}
