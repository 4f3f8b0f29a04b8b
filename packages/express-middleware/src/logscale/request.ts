/**
 * A GraphQL-over-HTTP request body, checked before graphql-http sees it.
 */
import { ValidationError } from "@session-ledger/core";
import type { RequestParams } from "graphql-http";
import { quote } from "../admin/text.js";

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
