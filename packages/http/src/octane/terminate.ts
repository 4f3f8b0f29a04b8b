/**
 * The two ways a terminate request names its sessions: the seed's query,
 * `PUT …/sessions?query="(id='a';id='b')"` with body `{"data":[{"is_closed":true}]}`, and
 * Octane's usual bulk-update body, `{"data":[{"id":"a","is_closed":true}, …]}`, for lists too
 * long for a URL.
 */
import { type Filter, ValidationError } from "@session-ledger/core";
import { forEachInSlices } from "../admin/slices.js";
import { checkText, quote, requireId } from "../admin/text.js";

const EXAMPLE = `query="(id='a';id='b')" with {"data":[{"is_closed":true}]}, or {"data":[{"id":"a","is_closed":true}]}`;

/** What {@link idsFromFilter} reads ids for, as its errors say it. */
interface IdQueryWording {
  /** `a session id` */
  noun: string;
  /** The message for a condition that is not a list of ids. */
  misfit: string;
}

const SESSION_IDS: IdQueryWording = {
  noun: "a session id",
  misfit: `query: to terminate sessions, the query may only list session ids, e.g. (id='a';id='b')`,
};
const TASK_IDS: IdQueryWording = {
  noun: "a task id",
  misfit: `query may only name task ids, e.g. query="id=<task id>"`,
};

/**
 * The session ids a query names. Only `id` equalities and `id IN …` joined by `;` or `||`
 * qualify: the seed writes a list as `(id='a';id='b')`, which read literally as AND would
 * match nothing, so here both joins mean "each of these".
 * @throws ValidationError (target `query`) for any other condition, or an id with control
 *   characters
 */
export function idsFromFilter(filter: Filter, wording = SESSION_IDS): string[] {
  const id = (value: string) => requireId("query", value, { noun: wording.noun });
  const ids: string[] = [];
  const visit = (node: Filter): void => {
    switch (node.kind) {
      case "and":
      case "or":
        for (const item of node.items) visit(item);
        return;
      case "compare":
        if (node.field === "id" && node.op === "EQ" && node.value.kind === "text") {
          ids.push(id(node.value.value));
          return;
        }
        break;
      case "in":
        if (node.field === "id" && node.values.every((v) => v.kind === "text")) {
          for (const value of node.values) {
            if (value.kind === "text") ids.push(id(value.value));
          }
          return;
        }
        break;
    }
    throw new ValidationError(wording.misfit, { target: "query" });
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
 * `{"id":"…","is_closed":true}` and their ids are returned. Up to 100,000 entries take tens
 * of milliseconds, so they are checked in slices that let the host's requests through.
 * @throws ValidationError (target `body`) naming the entry at fault
 */
export async function idsFromBody(
  body: unknown,
  hasQuery: boolean,
  maxIds: number,
): Promise<string[] | null> {
  if (!isRecord(body)) throw bodyError("must be a JSON object");
  const extra = Object.keys(body).find((key) => key !== "data" && key !== "reason");
  if (extra !== undefined) throw bodyError(`unexpected property ${quote(extra)}`);
  const { data } = body;
  if (!Array.isArray(data) || data.length === 0) throw bodyError("data must be a non-empty array");
  if (hasQuery && data.length !== 1) {
    throw bodyError("with a query, data must hold exactly one entry");
  }
  if (data.length > maxIds) throw bodyError(`data may hold at most ${maxIds} entries`);
  // Without duplicates, in the order given; built as the entries are checked, in slices.
  const ids = new Set<string>();
  await forEachInSlices(data, (entry: unknown, index) => {
    const at = `data[${index}]`;
    if (!isRecord(entry)) throw bodyError(`${at} must be an object`);
    if (entry.is_closed !== true) throw bodyError(`${at}.is_closed must be true`);
    for (const key of Object.keys(entry)) {
      if (key === "is_closed" || (!hasQuery && key === "id")) continue;
      throw bodyError(
        key === "id"
          ? `${at}.id: name the sessions either in the query or in the body, not both`
          : `${at} has an unexpected property ${quote(key)}`,
      );
    }
    if (!hasQuery) {
      ids.add(requireId(`body: ${at}.id`, entry.id, { target: "body", noun: "a session id" }));
    }
  });
  return hasQuery ? null : Array.from(ids);
}

/** The longest `reason` a terminate body may give. */
export const MAX_REASON_LENGTH = 500;

/**
 * The `reason` of a terminate body (an extension of the seed's body, which the console sends):
 * why an administrator ends the sessions, for the host's audit trail. Null when absent.
 * @throws ValidationError (target `body`) when it is not text of 1 to 500 characters without
 *   control characters
 */
export function reasonFromBody(body: unknown): string | null {
  if (!isRecord(body) || body.reason === undefined) return null;
  const { reason } = body;
  if (typeof reason !== "string" || reason.trim() === "" || reason.length > MAX_REASON_LENGTH) {
    throw bodyError(`reason must be text of 1 to ${MAX_REASON_LENGTH} characters`);
  }
  return checkText(reason.trim(), "body: reason", { breaks: false, target: "body" });
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
  return idsFromFilter(filter, TASK_IDS);
}
