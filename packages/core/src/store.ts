/**
 * `@session-ledger/core/store`: what a store author (or a dialect adapter) needs beyond the host
 * API — the storage port, the field catalog, the filter walk, the reference order, the
 * session model's rules, and the id rule and quoting of client values that core's own errors
 * use. Hosts never need this entry.
 */
export {
  ConflictError,
  SessionLedgerError,
  StorageError,
  ValidationError,
} from "./errors.js";
export {
  type IdWording,
  MAX_ID_LENGTH,
  QUOTED_LENGTH,
  quote,
  requireId,
} from "./lifecycle/arguments.js";
export { SLICE_MS, yieldToEventLoop } from "./lifecycle/batch-sizer.js";
export { closeOnce } from "./lifecycle/closing.js";
export { checkOptions, kindOf, missingOption } from "./lifecycle/options.js";
export { matchesPattern } from "./listing/evaluate.js";
export {
  compareCodePoints,
  compareSortValues,
  foldCase,
  keysetPositionOf,
  sortValueOf,
} from "./listing/order.js";
export type { CheckedTimeBuckets, TimeInterval } from "./listing/time-buckets.js";
export { ipSortKey, normalizeIp } from "./model/ip.js";
export type { TenantPolicy } from "./model/policy.js";
export {
  type ClientInfo,
  EndReason,
  effectiveSession,
  isOpenAt,
  lapseReason,
  type Session,
  type SessionRecord,
  SessionStatus,
} from "./model/session.js";
export { type BackgroundTask, type TaskState, TaskStatus } from "./model/task.js";
export {
  badCharacterAt,
  type CheckTextOptions,
  checkText,
  describeCharacter,
  replaceBadCharacters,
  type TextRuleOptions,
} from "./model/text.js";
export type {
  CompareOp,
  Filter,
  FilterValue,
  KeysetPosition,
  SortDirection,
  SortKey,
  SortValue,
} from "./query/ast.js";
export type { CheckedFilter } from "./query/checked.js";
export {
  FIELDS,
  type FieldDef,
  type FieldName,
  type FieldType,
  fieldDef,
  lookupField,
} from "./query/fields.js";
export { type FilterVisitor, type Operand, operandOf, walkFilter } from "./query/walk.js";
export type * from "./storage.js";
