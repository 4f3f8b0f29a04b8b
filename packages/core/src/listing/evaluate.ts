/**
 * The reference meaning of a filter, evaluated on an effective (already `now`-resolved)
 * session. Stores compile the same meaning into their own queries.
 */
import { ipSortKey } from "../model/ip.js";
import type { Session } from "../model/session.js";
import type { CompareOp, Filter, FilterValue } from "../query/ast.js";
import { type FieldDef, fieldDef, rawFieldValue } from "../query/fields.js";
import { compareCodePoints, foldCase } from "./order.js";

export function matchesFilter(session: Session, filter: Filter | null): boolean {
  if (filter === null) return true;
  switch (filter.kind) {
    case "and":
      return filter.items.every((item) => matchesFilter(session, item));
    case "or":
      return filter.items.some((item) => matchesFilter(session, item));
    case "not":
      return !matchesFilter(session, filter.item);
    case "user":
      return matchesFilter(session, filter.filter);
    case "compare":
      return compareField(session, fieldDef(filter.field), filter.op, filter.value);
    case "in":
      return filter.values.some((value) =>
        compareField(session, fieldDef(filter.field), "EQ", value),
      );
    case "between": {
      const def = fieldDef(filter.field);
      return (
        compareField(session, def, "GE", filter.low) &&
        compareField(session, def, "LE", filter.high)
      );
    }
  }
}

function compareField(session: Session, def: FieldDef, op: CompareOp, value: FilterValue): boolean {
  const actual = rawFieldValue(session, def.type === "reference" ? "user.id" : def.name);
  if (value.kind === "null") return op === "EQ" && actual === null;
  if (actual === null) return false;
  if (value.kind === "pattern") return op === "EQ" && matchesPattern(String(actual), value.parts);
  const order =
    typeof actual === "number"
      ? numericOrder(actual, value.kind === "time" ? value.value : Number.NaN)
      : textOrder(def, actual, value.kind === "text" ? value.value : String(value.value));
  switch (op) {
    case "EQ":
      return order === 0;
    case "LT":
      return order < 0;
    case "GT":
      return order > 0;
    case "LE":
      return order <= 0;
    case "GE":
      return order >= 0;
  }
}

function numericOrder(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

function textOrder(def: FieldDef, actual: string, expected: string): number {
  if (def.type === "text") return compareCodePoints(foldCase(actual), foldCase(expected));
  if (def.type === "ip") return compareCodePoints(ipSortKey(actual), ipSortKey(expected));
  return compareCodePoints(actual, expected);
}

/** Whole-value wildcard match, ASCII case-insensitive. */
export function matchesPattern(actual: string, parts: readonly string[]): boolean {
  const text = foldCase(actual);
  const folded = parts.map(foldCase);
  const first = folded[0]!;
  const last = folded[folded.length - 1]!;
  if (text.length < first.length + last.length) return false;
  if (!text.startsWith(first) || !text.endsWith(last)) return false;
  let cursor = first.length;
  const end = text.length - last.length;
  for (const middle of folded.slice(1, -1)) {
    const at = text.indexOf(middle, cursor);
    if (at < 0 || at + middle.length > end) return false;
    cursor = at + middle.length;
  }
  return true;
}
