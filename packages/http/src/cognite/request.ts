/**
 * Cognite's requests, read into what the ledger is asked: the org and principal of the path,
 * a page of a principal's login sessions, and the revoke body, `{"items": [{"id": "…"}, …]}`
 * with 1 to 10 items, validated strictly: a misspelt key is an error, not a silently smaller
 * revocation.
 */
import {
  type CheckedFilter,
  type Filter,
  type SortKey,
  ValidationError,
} from "@session-ledger/core";
import { checkBuilt, sessionsOfUser } from "../admin/filters.js";
import type { AdminLimits } from "../admin/limits.js";
import { optionalParam, pageSizeParam } from "../admin/params.js";
import type { AdminRequest } from "../admin/request.js";
import { quote, requireId } from "../admin/text.js";

/** Cognite's org ids: 3 to 64 lower-case letters, digits and inner hyphens, a letter first. */
export const COGNITE_ORG_PATTERN = /^([a-z][a-z0-9-]{1,62}[a-z0-9])$/;

/** Cognite revokes at most this many login sessions per request; larger sets go in batches. */
export const MAX_REVOKE_ITEMS = 10;

/**
 * Newest first, by creation time then id: a key that never changes, so a cursor walk sees
 * every session that existed throughout exactly once, whatever ends meanwhile.
 */
const NEWEST_FIRST: SortKey[] = [{ field: "creation_time", direction: "desc" }];

/**
 * The `:org` path parameter: the tenant the route names (the tenant resolver may map it).
 * @throws ValidationError (target `org`) when it does not match Cognite's pattern
 */
export function orgOf(req: AdminRequest): string {
  const org = req.params.org;
  if (typeof org !== "string" || !COGNITE_ORG_PATTERN.test(org)) {
    throw new ValidationError(
      `org ${quote(org)} is not an organization id: 3 to 64 characters matching ${COGNITE_ORG_PATTERN.source}`,
      { target: "org" },
    );
  }
  return org;
}

/** The `:principal` path parameter: the user whose login sessions the route acts on. */
const userIdOf = (req: AdminRequest): string =>
  requireId("principal", req.params.principal, { noun: "a user id" });

/**
 * A page of the principal's login sessions: `limit` and `cursor`.
 * @throws ValidationError naming the parameter at fault
 */
export function listRequest(req: AdminRequest, params: URLSearchParams, limits: AdminLimits) {
  return {
    filter: checkBuilt(sessionsOfUser(userIdOf(req)), limits, "principal"),
    sort: NEWEST_FIRST,
    limit: pageSizeParam(params, limits),
    cursor: optionalParam(params, "cursor") ?? null,
  };
}

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

/** What a revoke asks: the principal, the ids, and the filter that finds them among its sessions. */
export interface RevokeRequest {
  userId: string;
  ids: string[];
  /** The named sessions that are this principal's. */
  named: CheckedFilter;
}

/**
 * A revoke: the principal of the path and the ids of the body.
 * @throws ValidationError naming the parameter or the item at fault
 */
export function revokeRequest(
  req: AdminRequest,
  body: unknown,
  limits: AdminLimits,
): RevokeRequest {
  const userId = userIdOf(req);
  const ids = idsFromRevokeBody(body);
  const named: Filter = {
    kind: "and",
    items: [
      sessionsOfUser(userId),
      { kind: "in", field: "id", values: ids.map((id) => ({ kind: "text", value: id })) },
    ],
  };
  return { userId, ids, named: checkBuilt(named, limits, "body") };
}
