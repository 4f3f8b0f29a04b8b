/**
 * Checks on every value that reaches the store. The core already validates its inputs, but the
 * store is the last line before the driver: a value smuggled past the types (an object such as
 * `{ "$gt": "" }` where an id belongs) must never become part of a filter or update document.
 */
import {
  type BackgroundTask,
  END_REASONS,
  type EndReason,
  SESSION_STATUSES,
  TaskStatus,
  type TenantPolicy,
  ValidationError,
} from "@session-ledger/core";
import type {
  EndChange,
  OpenSessionPatch,
  SessionRecord,
  TaskCondition,
  TaskPatch,
} from "@session-ledger/core/store";

const TASK_STATUSES: readonly string[] = Object.values(TaskStatus);

const fail = (target: string, expected: string, value: unknown): never => {
  throw new ValidationError(`mongo store: ${target} must be ${expected}, got ${describe(value)}`, {
    target,
  });
};

function describe(value: unknown): string {
  if (typeof value === "string") return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (value === undefined) return "nothing";
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

/** A non-empty string: tenant ids, session ids, user ids. */
export function requireId(target: string, value: unknown): string {
  return typeof value === "string" && value.length > 0
    ? value
    : fail(target, "a non-empty string", value);
}

export function requireText(target: string, value: unknown): string {
  return typeof value === "string" ? value : fail(target, "a string", value);
}

export function optionalText(target: string, value: unknown): string | null {
  return value === null ? null : requireText(target, value);
}

export function requireTime(target: string, value: unknown): number {
  return typeof value === "number" && Number.isFinite(value)
    ? value
    : fail(target, "a finite number (epoch ms)", value);
}

export function optionalTime(target: string, value: unknown): number | null {
  return value === null ? null : requireTime(target, value);
}

export function requireCount(target: string, value: unknown, min: number): number {
  return typeof value === "number" && Number.isInteger(value) && value >= min
    ? value
    : fail(target, `an integer of at least ${min}`, value);
}

function oneOf<T extends string>(target: string, value: unknown, allowed: readonly T[]): T {
  return allowed.includes(value as T) ? (value as T) : fail(target, allowed.join(" | "), value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A whole record as the store will write it. Beyond types, it checks the invariant the
 * filters rely on: a record is stored `ACTIVE` with no end reason exactly while `endedAt` is
 * null (a lapsed record stays `ACTIVE` until the sweep).
 */
export function checkRecord(record: SessionRecord): SessionRecord {
  if (!isPlainObject(record)) fail("record", "an object", record);
  const user = isPlainObject(record.user)
    ? record.user
    : fail("record.user", "an object", record.user);
  const info = record.clientInfo;
  if (info !== null && !isPlainObject(info)) fail("record.clientInfo", "an object or null", info);
  const attributes = record.attributes;
  if (attributes !== null && !isPlainObject(attributes)) {
    fail("record.attributes", "a JSON object or null", attributes);
  }
  const checked: SessionRecord = {
    id: requireId("record.id", record.id),
    tenantId: requireId("record.tenantId", record.tenantId),
    sessionIdentifier: optionalText("record.sessionIdentifier", record.sessionIdentifier),
    user: {
      id: requireId("record.user.id", user.id),
      login: requireText("record.user.login", user.login),
      fullName: optionalText("record.user.fullName", user.fullName),
      email: optionalText("record.user.email", user.email),
    },
    clientType: requireText("record.clientType", record.clientType),
    accessType: requireText("record.accessType", record.accessType),
    clientIp: optionalText("record.clientIp", record.clientIp),
    serverIp: optionalText("record.serverIp", record.serverIp),
    userAgent: optionalText("record.userAgent", record.userAgent),
    clientInfo: info && {
      browser: optionalText("record.clientInfo.browser", info.browser),
      os: optionalText("record.clientInfo.os", info.os),
      device: optionalText("record.clientInfo.device", info.device),
    },
    city: optionalText("record.city", record.city),
    country: optionalText("record.country", record.country),
    licenseEdition: optionalText("record.licenseEdition", record.licenseEdition),
    status: oneOf("record.status", record.status, SESSION_STATUSES),
    endReason:
      record.endReason === null ? null : oneOf("record.endReason", record.endReason, END_REASONS),
    createdAt: requireTime("record.createdAt", record.createdAt),
    lastActivityAt: requireTime("record.lastActivityAt", record.lastActivityAt),
    expiresAt: requireTime("record.expiresAt", record.expiresAt),
    absoluteExpiresAt: requireTime("record.absoluteExpiresAt", record.absoluteExpiresAt),
    endedAt: optionalTime("record.endedAt", record.endedAt),
    attributes,
    secretHash: requireText("record.secretHash", record.secretHash),
  };
  const open = checked.endedAt === null;
  if (open !== (checked.status === "ACTIVE") || (open && checked.endReason !== null)) {
    fail("record.status", "ACTIVE with no end reason exactly while endedAt is null", [
      checked.status,
      checked.endReason,
      checked.endedAt,
    ]);
  }
  return checked;
}

export function checkPatch(patch: OpenSessionPatch): OpenSessionPatch {
  if (!isPlainObject(patch)) fail("patch", "an object", patch);
  const checked: OpenSessionPatch = {};
  if (patch.lastActivityAt !== undefined) {
    checked.lastActivityAt = requireTime("patch.lastActivityAt", patch.lastActivityAt);
  }
  if (patch.expiresAt !== undefined)
    checked.expiresAt = requireTime("patch.expiresAt", patch.expiresAt);
  if (patch.absoluteExpiresAt !== undefined) {
    checked.absoluteExpiresAt = requireTime("patch.absoluteExpiresAt", patch.absoluteExpiresAt);
  }
  return checked;
}

export function checkEndChange(change: EndChange): EndChange {
  if (!isPlainObject(change)) fail("change", "an object", change);
  return {
    status: oneOf("change.status", change.status, ["LOGGED_OUT", "REVOKED"] as const),
    endReason: oneOf<EndReason>("change.endReason", change.endReason, END_REASONS),
    endedAt: requireTime("change.endedAt", change.endedAt),
    now: requireTime("change.now", change.now),
  };
}

export function checkPolicy(policy: TenantPolicy): TenantPolicy {
  if (!isPlainObject(policy)) fail("policy", "an object", policy);
  return {
    idleTimeoutMs: requireTime("policy.idleTimeoutMs", policy.idleTimeoutMs),
    maxLifetimeMs: requireTime("policy.maxLifetimeMs", policy.maxLifetimeMs),
    touchResolutionMs: requireTime("policy.touchResolutionMs", policy.touchResolutionMs),
    maxSessionsPerUser:
      policy.maxSessionsPerUser === null
        ? null
        : requireCount("policy.maxSessionsPerUser", policy.maxSessionsPerUser, 1),
    onSessionLimit: oneOf("policy.onSessionLimit", policy.onSessionLimit, [
      "evict-oldest",
      "reject",
    ] as const),
  };
}

export function requireTaskStatus(target: string, value: unknown): TaskStatus {
  return oneOf(target, value, TASK_STATUSES) as TaskStatus;
}

export function requireTaskStatuses(target: string, value: unknown): TaskStatus[] {
  if (!Array.isArray(value)) fail(target, "a list of task statuses", value);
  return (value as unknown[]).map((status, i) => requireTaskStatus(`${target}[${i}]`, status));
}

/** The task patch as a `$set` document: only the fields that are present, each checked. */
export function taskPatchFields(patch: TaskPatch): Record<string, string | number | null> {
  if (!isPlainObject(patch)) fail("patch", "an object", patch);
  const set: Record<string, string | number | null> = {
    updatedAt: requireTime("patch.updatedAt", patch.updatedAt),
  };
  if (patch.status !== undefined) set.status = requireTaskStatus("patch.status", patch.status);
  if (patch.error !== undefined) set.error = optionalText("patch.error", patch.error);
  if (patch.leaseOwner !== undefined) {
    set.leaseOwner = optionalText("patch.leaseOwner", patch.leaseOwner);
  }
  if (patch.leaseExpiresAt !== undefined) {
    set.leaseExpiresAt = optionalTime("patch.leaseExpiresAt", patch.leaseExpiresAt);
  }
  return set;
}

export function checkTaskCondition(condition: TaskCondition | undefined): TaskCondition {
  if (condition === undefined) return {};
  if (!isPlainObject(condition)) fail("condition", "an object", condition);
  const checked: TaskCondition = {};
  if (condition.statuses !== undefined) {
    checked.statuses = requireTaskStatuses("condition.statuses", condition.statuses);
  }
  if (condition.leaseOwner !== undefined) {
    checked.leaseOwner = optionalText("condition.leaseOwner", condition.leaseOwner);
  }
  if (condition.leaseExpiredAt !== undefined) {
    checked.leaseExpiredAt = requireTime("condition.leaseExpiredAt", condition.leaseExpiredAt);
  }
  return checked;
}

/**
 * Host-defined JSON (session attributes and task payloads) is stored as JSON text:
 * its keys are the host's, and a key like `$where` or `a.b` must never reach the server as a
 * field name. `undefined` is stored as null.
 */
export function encodeJson(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return JSON.stringify(value) ?? null;
  } catch (cause) {
    throw new ValidationError("mongo store: value is not JSON-serialisable", {
      target: "json",
      cause,
    });
  }
}

export function decodeJson(text: unknown): unknown {
  return typeof text === "string" ? JSON.parse(text) : null;
}

export function checkTask(task: BackgroundTask): BackgroundTask {
  if (!isPlainObject(task)) fail("task", "an object", task);
  return {
    id: requireId("task.id", task.id),
    tenantId: requireId("task.tenantId", task.tenantId),
    kind: requireText("task.kind", task.kind),
    status: requireTaskStatus("task.status", task.status),
    payload: task.payload,
    progress: requireCount("task.progress", task.progress, 0),
    error: optionalText("task.error", task.error),
    createdAt: requireTime("task.createdAt", task.createdAt),
    updatedAt: requireTime("task.updatedAt", task.updatedAt),
    leaseOwner: optionalText("task.leaseOwner", task.leaseOwner),
    leaseExpiresAt: optionalTime("task.leaseExpiresAt", task.leaseExpiresAt),
  };
}
