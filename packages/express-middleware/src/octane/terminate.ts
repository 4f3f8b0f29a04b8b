/**
 * The two ways a terminate request names its sessions: the seed's query,
 * `PUT …/sessions?query="(id='a';id='b')"` with body `{"data":[{"is_closed":true}]}`, and
 * Octane's usual bulk-update body, `{"data":[{"id":"a","is_closed":true}, …]}`, for lists too
 * long for a URL.
 */
import { type Filter, ValidationError } from "@session-ledger/core";

const EXAMPLE = `query="(id='a';id='b')" with {"data":[{"is_closed":true}]}, or {"data":[{"id":"a","is_closed":true}]}`;

/**
 * The session ids a query names. Only `id` equalities and `id IN …` joined by `;` or `||`
 * qualify: the seed writes a list as `(id='a';id='b')`, which read literally as AND would
 * match nothing, so here both joins mean "each of these".
 * @throws ValidationError (target `query`) for any other condition
 */
export function idsFromFilter(filter: Filter): string[] {
  const ids: string[] = [];
  const visit = (node: Filter): void => {
    switch (node.kind) {
      case "and":
      case "or":
        for (const item of node.items) visit(item);
        return;
      case "compare":
        if (node.field === "id" && node.op === "EQ" && node.value.kind === "text") {
          ids.push(node.value.value);
          return;
        }
        break;
      case "in":
        if (node.field === "id" && node.values.every((v) => v.kind === "text")) {
          for (const value of node.values) if (value.kind === "text") ids.push(value.value);
          return;
        }
        break;
    }
    throw new ValidationError(
      `query: to terminate sessions, the query may only list session ids, e.g. (id='a';id='b')`,
      { target: "query" },
    );
  };
  visit(filter);
  return [...new Set(ids)];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function bodyError(message: string): ValidationError {
  return new ValidationError(`body: ${message}; expected ${EXAMPLE}`, { target: "body" });
}

/**
 * Validates a terminate body. With a query, the body must be exactly
 * `{"data":[{"is_closed":true}]}` and null is returned; without one, every entry must be
 * `{"id":"…","is_closed":true}` and their ids are returned.
 * @throws ValidationError (target `body`) naming the entry at fault
 */
export function idsFromBody(body: unknown, hasQuery: boolean, maxIds: number): string[] | null {
  if (!isRecord(body)) throw bodyError("must be a JSON object");
  const extra = Object.keys(body).filter((key) => key !== "data");
  if (extra.length > 0) throw bodyError(`unexpected property '${extra[0]}'`);
  const { data } = body;
  if (!Array.isArray(data) || data.length === 0) throw bodyError("data must be a non-empty array");
  if (hasQuery && data.length !== 1) {
    throw bodyError("with a query, data must hold exactly one entry");
  }
  if (data.length > maxIds) throw bodyError(`data may hold at most ${maxIds} entries`);
  const ids: string[] = [];
  for (const [index, entry] of data.entries()) {
    const at = `data[${index}]`;
    if (!isRecord(entry)) throw bodyError(`${at} must be an object`);
    if (entry.is_closed !== true) throw bodyError(`${at}.is_closed must be true`);
    for (const key of Object.keys(entry)) {
      if (key === "is_closed" || (!hasQuery && key === "id")) continue;
      throw bodyError(
        key === "id"
          ? `${at}.id: name the sessions either in the query or in the body, not both`
          : `${at} has an unexpected property '${key}'`,
      );
    }
    if (hasQuery) return null;
    const { id } = entry;
    if (typeof id !== "string" || id.length === 0 || id.length > 256) {
      throw bodyError(`${at}.id must be a session id (a non-empty string)`);
    }
    ids.push(id);
  }
  return [...new Set(ids)];
}

// The seed writes `query="id=<background_task_ID>"` with the id bare; task ids are not numbers,
// so a bare id is accepted here although the query language has no bare words.
const BARE_ID_QUERY = /^\s*"?\s*\(?\s*id\s*(?:=|\s+EQ\s+)\s*([A-Za-z0-9_-]{1,256})\s*\)?\s*"?\s*$/;

/**
 * The task ids of a `background_tasks` query: `id=<id>` (bare, quoted or in carets), or any
 * list the query language allows (`id='a'||id='b'`, `id IN 'a','b'`).
 * @throws QuerySyntaxError or ValidationError (target `query`)
 */
export function taskIdsFromQuery(text: string, parse: (text: string) => Filter | null): string[] {
  const bare = BARE_ID_QUERY.exec(text);
  if (bare) return [bare[1]!];
  const filter = parse(text);
  if (filter === null) {
    throw new ValidationError(`query must name the task, e.g. query="id=<task id>"`, {
      target: "query",
    });
  }
  try {
    return idsFromFilter(filter);
  } catch {
    throw new ValidationError(`query may only name task ids, e.g. query="id=<task id>"`, {
      target: "query",
    });
  }
}
