import type { Filter } from "./ast.js";

/** The conjunction of some conditions: null for none, the condition itself for one. */
export function allOf(conditions: readonly Filter[]): Filter | null {
  if (conditions.length === 0) return null;
  if (conditions.length === 1) return conditions[0]!;
  return { kind: "and", items: conditions };
}
