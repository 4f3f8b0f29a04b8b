/**
 * Filters that have been checked against the catalog and the limits: the only kind the
 * storage port accepts. Parsing and `checkFilter` produce them; stores only translate them.
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

export function markChecked(filter: Filter, shape: FilterShape): CheckedFilter {
  shapes.set(filter, shape);
  return filter as CheckedFilter;
}

/** The shape recorded when `filter` was checked, or undefined for a filter never checked. */
export function shapeOf(filter: Filter): FilterShape | undefined {
  return shapes.get(filter);
}
