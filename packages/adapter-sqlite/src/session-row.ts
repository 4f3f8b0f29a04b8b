/** Converts between `SessionRecord` and its row: times as integers, nested data as JSON. */
import type {
  BackgroundTask,
  ClientInfo,
  EndReason,
  SessionStatus,
  TaskStatus,
} from "@session-ledger/core";
import { ipSortKey, type SessionRecord, type TaskState } from "@session-ledger/core/store";
import { sql } from "kysely";
import type { SESSION_COLUMNS, SessionsTable, TasksTable } from "./schema.js";

export type SessionRow = Pick<SessionsTable, (typeof SESSION_COLUMNS)[number]>;
/** A row as reads return it (`SESSION_READ_COLUMNS`: no IP sort keys). */
export type SessionReadRow = Omit<SessionRow, "client_ip_key" | "server_ip_key">;

const json = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

const parsed = <T>(text: string | null): T | null =>
  text === null ? null : (JSON.parse(text) as T);

export function toSessionRow(record: SessionRecord): SessionRow {
  return {
    tenant_id: record.tenantId,
    id: record.id,
    session_identifier: record.sessionIdentifier,
    user_id: record.user.id,
    user_login: record.user.login,
    user_full_name: record.user.fullName,
    user_email: record.user.email,
    client_type: record.clientType,
    access_type: record.accessType,
    client_ip: record.clientIp,
    client_ip_key: record.clientIp === null ? null : ipSortKey(record.clientIp),
    server_ip: record.serverIp,
    server_ip_key: record.serverIp === null ? null : ipSortKey(record.serverIp),
    user_agent: record.userAgent,
    client_info: json(record.clientInfo),
    city: record.city,
    country: record.country,
    license_edition: record.licenseEdition,
    status: record.status,
    end_reason: record.endReason,
    created_at: record.createdAt,
    last_activity_at: record.lastActivityAt,
    expires_at: record.expiresAt,
    absolute_expires_at: record.absoluteExpiresAt,
    ended_at: record.endedAt,
    attributes: json(record.attributes),
    secret_hash: record.secretHash,
  };
}

/**
 * A session row as the JSON of its `SessionRecord`, built by SQLite itself (`json_object` runs
 * in C). Listing pages and export batches read this one column: parsing one JSON text is the
 * cheapest way to get a page of records out of a worker thread and into the host's (a page of
 * 101 sessions: 0.36 ms on the worker and 0.21 ms to parse, against 0.76 ms just to have
 * better-sqlite3 build the row objects). It must say exactly what `fromSessionRow` says.
 */
export const SESSION_RECORD_JSON = sql<string>`json_object(
  'id', id, 'tenantId', tenant_id, 'sessionIdentifier', session_identifier,
  'user', json_object('id', user_id, 'login', user_login, 'fullName', user_full_name, 'email', user_email),
  'clientType', client_type, 'accessType', access_type, 'clientIp', client_ip, 'serverIp', server_ip,
  'userAgent', user_agent, 'clientInfo', json(client_info), 'city', city, 'country', country,
  'licenseEdition', license_edition, 'status', status, 'endReason', end_reason,
  'createdAt', created_at, 'lastActivityAt', last_activity_at, 'expiresAt', expires_at,
  'absoluteExpiresAt', absolute_expires_at, 'endedAt', ended_at, 'attributes', json(attributes),
  'secretHash', secret_hash)`;

export function fromSessionRow(row: SessionReadRow): SessionRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    sessionIdentifier: row.session_identifier,
    user: {
      id: row.user_id,
      login: row.user_login,
      fullName: row.user_full_name,
      email: row.user_email,
    },
    clientType: row.client_type,
    accessType: row.access_type,
    clientIp: row.client_ip,
    serverIp: row.server_ip,
    userAgent: row.user_agent,
    clientInfo: parsed<ClientInfo>(row.client_info),
    city: row.city,
    country: row.country,
    licenseEdition: row.license_edition,
    status: row.status as SessionStatus,
    endReason: row.end_reason as EndReason | null,
    createdAt: row.created_at,
    lastActivityAt: row.last_activity_at,
    expiresAt: row.expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    endedAt: row.ended_at,
    attributes: parsed<Record<string, unknown>>(row.attributes),
    secretHash: row.secret_hash,
  };
}

export function toTaskRow(task: BackgroundTask): TasksTable {
  return {
    tenant_id: task.tenantId,
    id: task.id,
    kind: task.kind,
    status: task.status,
    progress: task.progress,
    error: task.error,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    lease_owner: task.leaseOwner,
    lease_expires_at: task.leaseExpiresAt,
  };
}

export function fromTaskRow(row: TasksTable & { payload: string | null }): BackgroundTask {
  return { ...taskStateOf(row), payload: parsed<unknown>(row.payload) };
}

/** JSON of a task's payload, for its own table. */
export const taskPayloadJson = (task: BackgroundTask) => json(task.payload);

/** Every task column (the payload lives in its own table, and only `getTask` reads it). */
export const TASK_STATE_COLUMNS = [
  "tenant_id",
  "id",
  "kind",
  "status",
  "progress",
  "error",
  "created_at",
  "updated_at",
  "lease_owner",
  "lease_expires_at",
] as const satisfies readonly (keyof TasksTable)[];

export function taskStateOf(row: TasksTable): TaskState {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    status: row.status as TaskStatus,
    progress: row.progress,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
  };
}
