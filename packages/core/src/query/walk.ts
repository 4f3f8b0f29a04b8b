/**
 * One walk over a checked filter for every store: the visitor receives each comparison with
 * its value already in the field's compare space (ASCII-folded text, an IP's sort key, epoch
 * ms, an exact id or enum), so a store's compiler only translates.
 */

import { ValidationError } from "../errors.js";
import { foldCase } from "../listing/order.js";
import { ipSortKey } from "../model/ip.js";
import type { CompareOp, Filter, FilterValue } from "./ast.js";
import type { CheckedFilter } from "./checked.js";
import { type FieldDef, fieldDef } from "./fields.js";

/** A value in a field's compare space. */
export type Operand = string | number;

/** How a store builds its condition for each part of a filter. */
export interface FilterVisitor<C> {
  and(items: C[]): C;
  or(items: C[]): C;
  not(item: C): C;
  /** `field op value`: false, not unknown, when the field is missing (two-valued logic). */
  compare(field: FieldDef, op: CompareOp, value: Operand): C;
  /** The field is missing. */
  isNull(field: FieldDef): C;
  /** The whole value matches the pattern: the literal `parts` (folded) with anything between. */
  matches(field: FieldDef, parts: readonly string[]): C;
  /** The field equals one of `values` (at least one): a set, not a chain of comparisons. */
  oneOf(field: FieldDef, values: readonly Operand[]): C;
}

/** A value moved into the space the field compares in. */
export function operandOf(field: FieldDef, value: FilterValue): Operand {
  if (value.kind === "time") return value.value;
  const text = value.kind === "text" ? value.value : String(value);
  if (field.type === "text") return foldCase(text);
  if (field.type === "ip") return ipSortKey(text);
  return text;
}

/**
 * Builds a store's condition for a checked filter. `user` cross-filters are walked in place
 * (they filter the same session); `BTW` is `GE low AND LE high`; an `IN` list becomes one
 * `oneOf` for its plain values, with its patterns and `null` beside it.
 */
export function walkFilter<C>(filter: CheckedFilter, visitor: FilterVisitor<C>): C {
  const walk = (node: Filter): C => {
    switch (node.kind) {
      case "and":
        return visitor.and(node.items.map(walk));
      case "or":
        return visitor.or(node.items.map(walk));
      case "not":
        return visitor.not(walk(node.item));
      case "user":
        return walk(node.filter);
      case "compare":
        return term(fieldDef(node.field), node.op, node.value);
      case "between": {
        const field = fieldDef(node.field);
        return visitor.and([term(field, "GE", node.low), term(field, "LE", node.high)]);
      }
      case "in": {
        const field = fieldDef(node.field);
        const parts: C[] = [];
        if (node.values.some((value) => value.kind === "null")) parts.push(visitor.isNull(field));
        for (const value of node.values) {
          if (value.kind === "pattern")
            parts.push(visitor.matches(field, value.parts.map(foldCase)));
        }
        const plain = node.values.filter((v) => v.kind === "text" || v.kind === "time");
        if (plain.length > 0) {
          parts.push(
            visitor.oneOf(
              field,
              plain.map((value) => operandOf(field, value)),
            ),
          );
        }
        return parts.length === 1 ? parts[0]! : visitor.or(parts);
      }
      default:
        // Unreachable for a checked filter; a stray node is refused rather than half-compiled.
        throw new ValidationError("filter: unknown node", { target: "filter" });
    }
  };
  // A checked filter holds only `EQ` with null and patterns, so these are the three forms.
  const term = (field: FieldDef, op: CompareOp, value: FilterValue): C => {
    if (value.kind === "null") return visitor.isNull(field);
    if (value.kind === "pattern") return visitor.matches(field, value.parts.map(foldCase));
    return visitor.compare(field, op, operandOf(field, value));
  };
  return walk(filter);
}
