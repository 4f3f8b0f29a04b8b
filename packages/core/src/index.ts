export {
  ConflictError,
  httpStatusForError,
  NotFoundError,
  QuerySyntaxError,
  SessionLedgerError,
  type SessionLedgerErrorCode,
  StorageError,
  ValidationError,
} from "./errors.js";
export type { SessionEvent, SessionEventType, SessionHooks } from "./lifecycle/events.js";
export {
  type CreatedSession,
  type CreateSessionInput,
  createSessionLedger,
  type GroupOptions,
  type ListOptions,
  MAX_LIST_LIMIT,
  type SessionLedger,
  type SessionLedgerOptions,
  type SessionPage,
  type TerminateOutcome,
} from "./lifecycle/ledger.js";
export {
  createTaskRunner,
  type TaskRunner,
  type TaskRunnerOptions,
  type TaskView,
  TERMINATE_TASK,
  type TerminationResult,
} from "./lifecycle/task-runner.js";
export { matchesPattern } from "./listing/evaluate.js";
export { compareCodePoints, foldCase, keysetPositionOf, sortValueOf } from "./listing/order.js";
export { createMemoryStore } from "./memory/memory-store.js";
export { ipSortKey, normalizeIp } from "./model/ip.js";
export { DEFAULT_POLICY, type SessionLimitPolicy, type TenantPolicy } from "./model/policy.js";
export {
  type ClientInfo,
  END_REASONS,
  EndReason,
  effectiveSession,
  isOpenAt,
  lapseReason,
  SESSION_STATUSES,
  type Session,
  type SessionRecord,
  SessionStatus,
  type SessionUser,
} from "./model/session.js";
export { type BackgroundTask, TaskStatus } from "./model/task.js";
export type {
  CompareOp,
  Filter,
  FilterValue,
  KeysetPosition,
  SortDirection,
  SortKey,
  SortValue,
} from "./query/ast.js";
export {
  FIELDS,
  type FieldDef,
  type FieldName,
  type FieldType,
  fieldDef,
  lookupField,
} from "./query/fields.js";
export {
  allOf,
  type ParseQueryOptions,
  type ProjectedField,
  type Projection,
  parseFields,
  parseGroupBy,
  parseOrderBy,
  parseQuery,
  printFilter,
  type UserFieldName,
} from "./query/index.js";
export type * from "./storage.js";
