/**
 * Converts between the core's records and the SQL stores' rows: times as integers, nested data
 * as JSON text. Drivers differ in how they hand back a 64-bit integer column — SQLite as a
 * number, PostgreSQL's `pg` as a decimal string (int8 can exceed a double) — so every time is
 * read through `Number`: epoch milliseconds fit a double exactly.
 */
import type {
  BackgroundTask,
  ClientInfo,
  EndReason,
  SessionStatus,
  TaskStatus,
} from "@session-ledger/core";
import {
  ipSortKey,
  type Session,
  type SessionRecord,
  type TaskState,
} from "@session-ledger/core/store";
import type { SESSION_COLUMNS, SessionsTable, TasksTable } from "./tables.js";

export type SessionRow = Pick<SessionsTable, (typeof SESSION_COLUMNS)[number]>;

/** A 64-bit integer as a driver hands it back: a number, or (PostgreSQL int8) a string. */
export type WireInteger = number | string | bigint;

/** A row as a driver returns it: integer columns as numbers or strings. */
type FromWire<Row> = {
  [K in keyof Row]: Row[K] extends number
    ? WireInteger
    : Row[K] extends number | null
      ? WireInteger | null
      : Row[K];
};

/** A session row as reads return it (`SESSION_READ_COLUMNS`: no IP sort keys). */
export type SessionReadRow = FromWire<Omit<SessionRow, "client_ip_key" | "server_ip_key">>;
/** A session row as admin reads return it (`SESSION_LIST_COLUMNS`: no secret hash either). */
export type SessionListRow = Omit<SessionReadRow, "secret_hash">;
export type TaskReadRow = FromWire<TasksTable>;

const json = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

const parsed = <T>(text: string | null): T | null =>
  text === null ? null : (JSON.parse(text) as T);

const orNull = (value: WireInteger | null): number | null =>
  value === null ? null : Number(value);

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
 * A stored record, with its secret hash: what lookups return. The hash is added to the session
 * as built, not spread into a copy: this runs on every validate.
 */
export function fromSessionRow(row: SessionReadRow): SessionRecord {
  const record = fromSessionListRow(row) as SessionRecord;
  record.secretHash = row.secret_hash;
  return record;
}

/** A session as admin reads return it: the record without its secret hash. */
export function fromSessionListRow(row: SessionListRow): Session {
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
    createdAt: Number(row.created_at),
    lastActivityAt: Number(row.last_activity_at),
    expiresAt: Number(row.expires_at),
    absoluteExpiresAt: Number(row.absolute_expires_at),
    endedAt: orNull(row.ended_at),
    attributes: parsed<Record<string, unknown>>(row.attributes),
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

/** JSON of a task's payload, for its own table. */
export const taskPayloadJson = (task: BackgroundTask) => json(task.payload);

/** A task as stored: its row and, in its own table, its payload's JSON. */
export function fromTaskRow(row: TaskReadRow, payload: string | null): BackgroundTask {
  return { ...taskStateOf(row), payload: parsed<unknown>(payload) };
}

/**
 * A task without its payload, which lives in a table of its own: SQLite rewrites a whole row on
 * every update, and a 100,000-id payload is megabytes a progress write would otherwise copy.
 * Updates and polls read only this; `getTask` reads the payload as well.
 */
export function taskStateOf(row: TaskReadRow): TaskState {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    status: row.status as TaskStatus,
    progress: Number(row.progress),
    error: row.error,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: orNull(row.lease_expires_at),
  };
}

/**
 * A session row as one JSON array, in this order, without its secret hash: what a store that
 * builds each row's JSON in the database (`json_array`) hands its host, one text per page.
 */
export type SessionArray = [
  id: string,
  tenantId: string,
  sessionIdentifier: string | null,
  userId: string,
  login: string,
  fullName: string | null,
  email: string | null,
  clientType: string,
  accessType: string,
  clientIp: string | null,
  serverIp: string | null,
  userAgent: string | null,
  clientInfo: ClientInfo | null,
  city: string | null,
  country: string | null,
  licenseEdition: string | null,
  status: SessionStatus,
  endReason: EndReason | null,
  createdAt: number,
  lastActivityAt: number,
  expiresAt: number,
  absoluteExpiresAt: number,
  endedAt: number | null,
  attributes: Record<string, unknown> | null,
];

function sessionOf(a: SessionArray): Session {
  return {
    id: a[0],
    tenantId: a[1],
    sessionIdentifier: a[2],
    user: { id: a[3], login: a[4], fullName: a[5], email: a[6] },
    clientType: a[7],
    accessType: a[8],
    clientIp: a[9],
    serverIp: a[10],
    userAgent: a[11],
    clientInfo: a[12],
    city: a[13],
    country: a[14],
    licenseEdition: a[15],
    status: a[16],
    endReason: a[17],
    createdAt: a[18],
    lastActivityAt: a[19],
    expiresAt: a[20],
    absoluteExpiresAt: a[21],
    endedAt: a[22],
    attributes: a[23],
  };
}

/** A page of `SessionArray`s, parsed, as sessions. */
export const sessionsOf = (arrays: readonly SessionArray[]): Session[] => arrays.map(sessionOf);
