import type { Filter } from "./ast.js";
import { type CheckedFilter, markChecked, shapeOf } from "./checked.js";

/**
 * The conjunction of some conditions: null for none, the condition itself for one. When every
 * condition was checked, so is the conjunction (its depth and size are known without a walk).
 */
export function allOf(conditions: readonly CheckedFilter[]): CheckedFilter | null;
export function allOf(conditions: readonly Filter[]): Filter | null;
export function allOf(conditions: readonly Filter[]): Filter | null {
  if (conditions.length === 0) return null;
  if (conditions.length === 1) return conditions[0]!;
  const combined: Filter = { kind: "and", items: [...conditions] };
  const shapes = conditions.map(shapeOf);
  if (shapes.every((shape) => shape !== undefined)) {
    markChecked(combined, {
      depth: 1 + Math.max(...shapes.map((shape) => shape.depth)),
      nodes: 1 + shapes.reduce((sum, shape) => sum + shape.nodes, 0),
      wildcards: shapes.reduce((sum, shape) => sum + shape.wildcards, 0),
      source: shapes.find((shape) => shape.source !== "filter")?.source ?? "filter",
    });
  }
  return combined;
}
