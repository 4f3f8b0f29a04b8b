/**
 * Filters that have been checked against the catalog and the limits: the only kind the
 * storage port accepts. Parsing and `checkFilter` produce them; stores only translate them.
 * A checked filter is frozen, node by node: what was checked is what every store receives
 * (assigning to any part of it throws in strict code, and does nothing elsewhere).
 */
import type { Filter } from "./ast.js";

declare const checked: unique symbol;

/** A filter that passed the catalog's rules and the query limits. */
export type CheckedFilter = Filter & { readonly [checked]: true };

/** What the check learned about a filter: enough to combine checked filters without a walk. */
export interface FilterShape {
  depth: number;
  nodes: number;
  /** The `*` wildcards of all its patterns. */
  wildcards: number;
  /** The parameter the filter came from (`query`, `filter`), for errors about its size. */
  source: string;
}

const shapes = new WeakMap<Filter, FilterShape>();

/** Freezes a filter tree the parser or the check built: its nodes, values and lists. */
function freezeTree(value: unknown): void {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return;
  for (const part of Object.values(value)) freezeTree(part);
  Object.freeze(value);
}

/**
 * Records `filter` as checked, with its shape, and freezes it. Only for filters core itself
 * built (the parser's output, `checkFilter`'s copy, a conjunction of checked filters).
 */
export function markChecked(filter: Filter, shape: FilterShape): CheckedFilter {
  freezeTree(filter);
  shapes.set(filter, Object.freeze({ ...shape }));
  return filter as CheckedFilter;
}

/** The shape recorded when `filter` was checked, or undefined for a filter never checked. */
export function shapeOf(filter: Filter): FilterShape | undefined {
  return shapes.get(filter);
}
