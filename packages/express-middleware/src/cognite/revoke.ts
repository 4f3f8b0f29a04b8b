/**
 * The revoke body, `{"items": [{"id": "…"}, …]}` with 1 to 10 items, validated strictly: a
 * misspelt key is an error, not a silently smaller revocation.
 */
import { ValidationError } from "@session-ledger/core";
import { quote, requireId } from "../admin/text.js";

/** Cognite revokes at most this many login sessions per request; larger sets go in batches. */
export const MAX_REVOKE_ITEMS = 10;

const EXAMPLE = `{"items":[{"id":"<session id>"}]}`;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function bodyError(message: string): ValidationError {
  return new ValidationError(`body: ${message}; expected ${EXAMPLE}`, { target: "body" });
}

/**
 * The session ids a revoke body names, without duplicates, in the order given.
 * @throws ValidationError (target `body`) naming the item at fault
 */
export function idsFromRevokeBody(body: unknown): string[] {
  if (!isRecord(body)) throw bodyError("must be a JSON object");
  const extra = Object.keys(body).find((key) => key !== "items");
  if (extra !== undefined) throw bodyError(`unexpected property ${quote(extra)}`);
  const { items } = body;
  if (!Array.isArray(items)) throw bodyError("items must be an array");
  if (items.length < 1 || items.length > MAX_REVOKE_ITEMS) {
    throw bodyError(
      `items must hold 1 to ${MAX_REVOKE_ITEMS} entries, got ${items.length}; send larger sets in batches`,
    );
  }
  const ids: string[] = [];
  for (const [index, item] of items.entries()) {
    const at = `items[${index}]`;
    if (!isRecord(item)) throw bodyError(`${at} must be an object`);
    const key = Object.keys(item).find((name) => name !== "id");
    if (key !== undefined) throw bodyError(`${at} has an unexpected property ${quote(key)}`);
    ids.push(requireId(`body: ${at}.id`, item.id, { target: "body", noun: "a session id" }));
  }
  return [...new Set(ids)];
}
