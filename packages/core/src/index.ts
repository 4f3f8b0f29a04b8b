export {
  ConflictError,
  NotFoundError,
  QuerySyntaxError,
  SessionLedgerError,
  type SessionLedgerErrorCode,
  StorageError,
  ValidationError,
  httpStatusForError,
} from "./errors.js";
export {
  type ClientInfo,
  END_REASONS,
  EndReason,
  SESSION_STATUSES,
  type Session,
  type SessionRecord,
  SessionStatus,
  type SessionUser,
  effectiveSession,
  isOpenAt,
  lapseReason,
} from "./model/session.js";
export { DEFAULT_POLICY, type SessionLimitPolicy, type TenantPolicy } from "./model/policy.js";
export { type BackgroundTask, TaskStatus } from "./model/task.js";
export { ipSortKey, normalizeIp } from "./model/ip.js";
export type {
  CompareOp,
  Filter,
  FilterValue,
  KeysetPosition,
  SortDirection,
  SortKey,
  SortValue,
} from "./query/ast.js";
export { FIELDS, type FieldDef, type FieldName, type FieldType, fieldDef, lookupField } from "./query/fields.js";
export { compareCodePoints, foldCase, keysetPositionOf, sortValueOf } from "./listing/order.js";
export { matchesPattern } from "./listing/evaluate.js";
export type * from "./storage.js";
export {
  type CreateSessionInput,
  type CreatedSession,
  type GroupOptions,
  type ListOptions,
  MAX_LIST_LIMIT,
  type SessionLedger,
  type SessionLedgerOptions,
  type SessionPage,
  type TerminateOutcome,
  createSessionLedger,
} from "./lifecycle/ledger.js";
export type { SessionEvent, SessionEventType, SessionHooks } from "./lifecycle/events.js";
export { createMemoryStore } from "./memory/memory-store.js";
