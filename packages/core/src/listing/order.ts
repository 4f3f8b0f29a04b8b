/**
 * The reference order of listings. Every store must sort exactly like this:
 * - text fields by their ASCII-lower-cased value, compared by Unicode code point;
 * - ids and enums by their exact value, compared by code point;
 * - IPs numerically (through `ipSortKey`), times numerically;
 * - `user` by the user's login, as text;
 * - null lowest: first ascending, last descending;
 * - then by session `id` ascending, unless `id` is itself a sort key.
 */
import { ipSortKey } from "../model/ip.js";
import type { Session } from "../model/session.js";
import type { KeysetPosition, SortKey, SortValue } from "../query/ast.js";
import { type FieldName, fieldDef, rawFieldValue } from "../query/fields.js";

/** Lower-cases ASCII letters only, so every store (SQLite `lower`, NOCASE) folds alike. */
export function foldCase(text: string): string {
  return text.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}

/** Compares strings by Unicode code point, the order of UTF-8 bytes that databases use. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800–0xDFFF) encode code points above 0xFFFF, which sort after 0xE000–0xFFFF.
    const isSurrogateX = x >= 0xd800 && x <= 0xdfff;
    const isSurrogateY = y >= 0xd800 && y <= 0xdfff;
    if (isSurrogateX !== isSurrogateY) return isSurrogateX ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** The value of `field` in sort space, for an effective (already `now`-resolved) session. */
export function sortValueOf(session: Session, field: FieldName): SortValue {
  const def = fieldDef(field);
  if (def.type === "reference") return foldCase(session.user.login);
  const raw = rawFieldValue(session, field);
  if (raw === null || typeof raw === "number") return raw;
  if (def.type === "text") return foldCase(raw);
  if (def.type === "ip") return ipSortKey(raw);
  return raw;
}

export function compareSortValues(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : 1;
  return compareCodePoints(String(a), String(b));
}

/** The sort keys with the `id` tie-break appended unless `id` is already a key. */
export function withIdTieBreak(sort: readonly SortKey[]): readonly SortKey[] {
  return sort.some((key) => key.field === "id")
    ? sort
    : [...sort, { field: "id", direction: "asc" }];
}

/** A comparator over effective sessions for the given sort (tie-break included). */
export function sessionComparator(sort: readonly SortKey[]): (a: Session, b: Session) => number {
  const keys = withIdTieBreak(sort);
  return (a, b) => {
    for (const key of keys) {
      const order = compareSortValues(sortValueOf(a, key.field), sortValueOf(b, key.field));
      if (order !== 0) return key.direction === "asc" ? order : -order;
    }
    return 0;
  };
}

/** The keyset position of a row: its sort-space values for `sort` and its id. */
export function keysetPositionOf(session: Session, sort: readonly SortKey[]): KeysetPosition {
  return { values: sort.map((key) => sortValueOf(session, key.field)), id: session.id };
}

/** True when `session` comes strictly after `position` in the order of `sort` (tie-break by id). */
export function isAfterPosition(
  session: Session,
  sort: readonly SortKey[],
  position: KeysetPosition,
): boolean {
  for (const [i, key] of sort.entries()) {
    const order = compareSortValues(sortValueOf(session, key.field), position.values[i] ?? null);
    if (order !== 0) return key.direction === "asc" ? order > 0 : order < 0;
    if (key.field === "id") return false;
  }
  return compareCodePoints(session.id, position.id) > 0;
}
