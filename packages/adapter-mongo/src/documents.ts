/**
 * How records map to stored documents and back. A session document holds the record's fields
 * as they are, plus `k`: shadow keys in *sort space* (ASCII-folded text, `ipSortKey` for IPs)
 * that filters and sorts compare exactly, because MongoDB's own case-insensitive tools
 * (`$toLower`, collations, regex `i`) fold more than the reference's ASCII-only rule.
 * Every field is always written, null when empty, so "missing" never differs from "null".
 */
import type { BackgroundTask, TaskStatus, TenantPolicy } from "@session-ledger/core";
import {
  foldCase,
  ipSortKey,
  type Session,
  type SessionRecord,
  type TaskState,
} from "@session-ledger/core/store";
import { decodeJson, encodeJson } from "./boundary.js";

/** The shadow keys: what text and IP filters and sorts compare. */
export interface SortKeys {
  clientType: string;
  accessType: string;
  clientIp: string | null;
  serverIp: string | null;
  userAgent: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
  city: string | null;
  country: string | null;
  licenseEdition: string | null;
  login: string;
  fullName: string | null;
  email: string | null;
}

/**
 * A session as stored: the record's own fields (host-defined `attributes` as JSON text, so no
 * key of the host's becomes a field name), plus what the store keeps for its own queries.
 */
export interface SessionDocument extends Omit<SessionRecord, "attributes"> {
  attributesJson: string | null;
  /** `endedAt` as a BSON date, for the retention TTL index (TTL needs dates). Null while open. */
  endedOn: Date | null;
  /** The operation that ended the session, so a bulk end can report exactly what it ended. */
  endedBy: string | null;
  /**
   * The user's login sequence number (`<prefix>login_sequences`) when the session was created
   * under a cap, else null: the order `evict-oldest` ranks a user's sessions by.
   */
  loginSeq: number | null;
  k: SortKeys;
}

/** One user's login counter, for the cap: `_id` is `JSON.stringify([tenantId, userId])`. */
export interface LoginSequenceDocument {
  _id: string;
  seq: number;
}

const fold = (text: string | null) => (text === null ? null : foldCase(text));
const ipKey = (ip: string | null) => (ip === null ? null : ipSortKey(ip));

export function toSessionDocument(
  record: SessionRecord,
  loginSeq: number | null = null,
): SessionDocument {
  const info = record.clientInfo;
  return {
    tenantId: record.tenantId,
    id: record.id,
    sessionIdentifier: record.sessionIdentifier,
    user: {
      id: record.user.id,
      login: record.user.login,
      fullName: record.user.fullName,
      email: record.user.email,
    },
    clientType: record.clientType,
    accessType: record.accessType,
    clientIp: record.clientIp,
    serverIp: record.serverIp,
    userAgent: record.userAgent,
    clientInfo: info && { browser: info.browser, os: info.os, device: info.device },
    city: record.city,
    country: record.country,
    licenseEdition: record.licenseEdition,
    status: record.status,
    endReason: record.endReason,
    createdAt: record.createdAt,
    lastActivityAt: record.lastActivityAt,
    expiresAt: record.expiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    endedAt: record.endedAt,
    attributesJson: encodeJson(record.attributes),
    secretHash: record.secretHash,
    endedOn: record.endedAt === null ? null : new Date(record.endedAt),
    endedBy: null,
    loginSeq,
    k: {
      clientType: foldCase(record.clientType),
      accessType: foldCase(record.accessType),
      clientIp: ipKey(record.clientIp),
      serverIp: ipKey(record.serverIp),
      userAgent: fold(record.userAgent),
      browser: fold(info?.browser ?? null),
      os: fold(info?.os ?? null),
      device: fold(info?.device ?? null),
      city: fold(record.city),
      country: fold(record.country),
      licenseEdition: fold(record.licenseEdition),
      login: foldCase(record.user.login),
      fullName: fold(record.user.fullName),
      email: fold(record.user.email),
    },
  };
}

/** The record a stored document holds; shadow keys and bookkeeping fields stay behind. */
export function toSessionRecord(doc: SessionDocument): SessionRecord {
  const record = toSession(doc) as SessionRecord;
  record.secretHash = doc.secretHash;
  return record;
}

/** What admin reads project: the document without its secret hash. */
export const WITHOUT_SECRET = { secretHash: 0 } as const;

/** The session a document read with `WITHOUT_SECRET` holds (admin reads carry no hash). */
export function toSession(doc: Omit<SessionDocument, "secretHash">): Session {
  const info = doc.clientInfo;
  return {
    id: doc.id,
    tenantId: doc.tenantId,
    sessionIdentifier: doc.sessionIdentifier ?? null,
    user: {
      id: doc.user.id,
      login: doc.user.login,
      fullName: doc.user.fullName ?? null,
      email: doc.user.email ?? null,
    },
    clientType: doc.clientType,
    accessType: doc.accessType,
    clientIp: doc.clientIp ?? null,
    serverIp: doc.serverIp ?? null,
    userAgent: doc.userAgent ?? null,
    clientInfo: info
      ? { browser: info.browser ?? null, os: info.os ?? null, device: info.device ?? null }
      : null,
    city: doc.city ?? null,
    country: doc.country ?? null,
    licenseEdition: doc.licenseEdition ?? null,
    status: doc.status,
    endReason: doc.endReason ?? null,
    createdAt: doc.createdAt,
    lastActivityAt: doc.lastActivityAt,
    expiresAt: doc.expiresAt,
    absoluteExpiresAt: doc.absoluteExpiresAt,
    endedAt: doc.endedAt ?? null,
    attributes: decodeJson(doc.attributesJson) as Record<string, unknown> | null,
  };
}

/** Policies are keyed by tenant: `_id` is the tenant id, so an upsert needs no extra index. */
export interface PolicyDocument extends TenantPolicy {
  _id: string;
}

export function toTenantPolicy(doc: PolicyDocument): TenantPolicy {
  return {
    idleTimeoutMs: doc.idleTimeoutMs,
    maxLifetimeMs: doc.maxLifetimeMs,
    touchResolutionMs: doc.touchResolutionMs,
    maxSessionsPerUser: doc.maxSessionsPerUser ?? null,
    onSessionLimit: doc.onSessionLimit,
  };
}

export interface TaskDocument {
  tenantId: string;
  id: string;
  kind: string;
  status: TaskStatus;
  /** The payload as JSON text, or null when it is stored in `payloadParts`. */
  payloadJson: string | null;
  /**
   * The `_id`s of the parts (`<prefix>task_payloads`) a payload too large to keep here is cut
   * into, in order; empty when `payloadJson` holds it.
   */
  payloadParts: string[];
  /** Items done, in payload order; advanced only with `parts`. */
  progress: number;
  /**
   * The `_id`s of the task's recorded batch outcomes (`<prefix>task_outcomes`), in task order.
   * Pushed in the same write that advances `progress`, so only the batches that write names
   * count: an outcome left behind by a runner that lost its lease is never read.
   */
  parts: string[];
  error: string | null;
  createdAt: number;
  updatedAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
}

/** One piece of a large task payload's JSON text. */
export interface TaskPayloadDocument {
  _id: string;
  tenantId: string;
  taskId: string;
  seq: number;
  text: string;
}

/** One recorded part of a termination task's batch: the outcome of some of its ids, in order. */
export interface TaskOutcomeDocument {
  _id: string;
  tenantId: string;
  taskId: string;
  /** The batch's first item (its place in the task's id list). */
  start: number;
  ended: string[];
  alreadyEnded: string[];
  notFound: string[];
}

/** The task document, with its payload inline (`json`) or in the parts named by `parts`. */
export function toTaskDocument(
  task: BackgroundTask,
  payload: { json: string | null; parts: string[] },
): TaskDocument {
  return {
    tenantId: task.tenantId,
    id: task.id,
    kind: task.kind,
    status: task.status,
    payloadJson: payload.json,
    payloadParts: payload.parts,
    progress: task.progress,
    parts: [],
    error: task.error,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    leaseOwner: task.leaseOwner,
    leaseExpiresAt: task.leaseExpiresAt,
  };
}

/** The task a document holds, given its payload's JSON text (read from its parts if need be). */
export function toBackgroundTask(doc: TaskDocument, payloadJson: string | null): BackgroundTask {
  return { ...toTaskState(doc), payload: decodeJson(payloadJson) };
}

/** A task document's state, its payload left out. */
export function toTaskState(doc: Omit<TaskDocument, "payloadJson" | "payloadParts">): TaskState {
  return {
    id: doc.id,
    tenantId: doc.tenantId,
    kind: doc.kind,
    status: doc.status,
    progress: doc.progress ?? 0,
    error: doc.error ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    leaseOwner: doc.leaseOwner ?? null,
    leaseExpiresAt: doc.leaseExpiresAt ?? null,
  };
}
