/**
 * `@session-ledger/core`: the host API. Store authors find the port, the catalog and the
 * filter walk at `@session-ledger/core/store`; the conformance suite is at `/testing`.
 */
export {
  ConflictError,
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
  MIN_CURSOR_SECRET_LENGTH,
  type SessionLedger,
  type SessionLedgerOptions,
  type SessionPage,
  type TerminateOutcome,
  type TimeGroupOptions,
  type TimeGroupResult,
} from "./lifecycle/ledger.js";
export {
  type Maintenance,
  type MaintenanceOptions,
  startMaintenance,
} from "./lifecycle/maintenance.js";
export {
  createTaskRunner,
  type TaskRunner,
  type TaskRunnerOptions,
  type TaskView,
  TERMINATE_TASK,
  type TerminationResult,
} from "./lifecycle/task-runner.js";
export {
  type CheckedTimeBuckets,
  checkTimeBuckets,
  TIME_INTERVALS,
  type TimeBuckets,
  type TimeInterval,
} from "./listing/time-buckets.js";
export { createMemoryStore } from "./memory/memory-store.js";
export {
  DEFAULT_POLICY,
  MIN_IDLE_TIMEOUT_MS,
  MIN_LIFETIME_MS,
  type SessionLimitPolicy,
  type TenantPolicy,
} from "./model/policy.js";
export {
  type ClientInfo,
  END_REASONS,
  EndReason,
  SESSION_STATUSES,
  type Session,
  SessionStatus,
  type SessionUser,
} from "./model/session.js";
export { type BackgroundTask, TaskStatus } from "./model/task.js";
export type { CompareOp, Filter, FilterValue, SortDirection, SortKey } from "./query/ast.js";
export { checkFilter } from "./query/check-filter.js";
export type { CheckedFilter } from "./query/checked.js";
export { allOf } from "./query/combine.js";
export type { FieldName } from "./query/fields.js";
export { DEFAULT_QUERY_LIMITS, type QueryLimits, resolveLimits } from "./query/limits.js";
export {
  type ProjectedField,
  type Projection,
  parseFields,
  parseGroupBy,
  parseOrderBy,
  type UserFieldName,
} from "./query/params.js";
export { type ParseQueryOptions, parseQuery } from "./query/parser.js";
export { printFilter } from "./query/printer.js";
export type { GroupResult, SessionGroup, SessionStore, TimeBucket } from "./storage.js";
