/**
 * The Octane query language: `query` text to the typed filter AST and back, and the
 * `order_by`, `fields` and `group_by` parameters beside it.
 */
export type {
  CompareOp,
  Filter,
  FilterValue,
  KeysetPosition,
  SortDirection,
  SortKey,
  SortValue,
} from "./ast.js";
export { checkFilter } from "./check-filter.js";
export type { CheckedFilter } from "./checked.js";
export { allOf } from "./combine.js";
export type { FieldDef, FieldName, FieldType } from "./fields.js";
export { FIELDS, fieldDef, lookupField } from "./fields.js";
export { DEFAULT_QUERY_LIMITS, type QueryLimits, resolveLimits } from "./limits.js";
export type { ProjectedField, Projection, UserFieldName } from "./params.js";
export { parseFields, parseGroupBy, parseOrderBy } from "./params.js";
export type { ParseQueryOptions } from "./parser.js";
export { parseQuery } from "./parser.js";
export { printFilter } from "./printer.js";
