import { ValidationError } from "../errors.js";
import { quote } from "../lifecycle/arguments.js";

/** What to do when a user already holds `maxSessionsPerUser` open sessions. */
export type SessionLimitPolicy = "evict-oldest" | "reject";

/** Per-tenant session policy, persisted through the store. */
export interface TenantPolicy {
  /** Idle timeout in ms, at least {@link MIN_IDLE_TIMEOUT_MS} (1 min). @default 1_800_000 (30 min) */
  idleTimeoutMs: number;
  /** Absolute lifetime in ms from creation, at least {@link MIN_LIFETIME_MS} (1 min). @default 36_000_000 (10 h) */
  maxLifetimeMs: number;
  /** Activity is written only when at least this much time passed since the last write. @default 60_000 */
  touchResolutionMs: number;
  /** Open sessions a user may hold at once; null for no cap. @default null */
  maxSessionsPerUser: number | null;
  /** What creating one more session does once the cap is reached. @default "evict-oldest" */
  onSessionLimit: SessionLimitPolicy;
}

export const DEFAULT_POLICY: Readonly<TenantPolicy> = Object.freeze({
  idleTimeoutMs: 30 * 60_000,
  maxLifetimeMs: 10 * 3_600_000,
  touchResolutionMs: 60_000,
  maxSessionsPerUser: null,
  onSessionLimit: "evict-oldest",
});

const MAX_DURATION_MS = 10 * 365 * 86_400_000;

/**
 * The shortest idle timeout a policy may set: one minute. Below it a session ends between two
 * clicks, and a value in seconds given as milliseconds (`1800` for half an hour) is caught.
 */
export const MIN_IDLE_TIMEOUT_MS = 60_000;

/** The shortest absolute lifetime a policy may set: one minute, for the same reasons. */
export const MIN_LIFETIME_MS = 60_000;

function duration(name: string, value: unknown, min: number): number {
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < min ||
    value > MAX_DURATION_MS
  ) {
    throw new ValidationError(
      `${name} must be an integer number of milliseconds between ${min} and ${MAX_DURATION_MS}, got ${quote(value)}`,
      { target: name },
    );
  }
  return value;
}

/**
 * Merges a partial policy over a base and checks every value; unknown keys are rejected
 * so a typo never silently leaves a default in force.
 */
export function resolvePolicy(base: TenantPolicy, patch: Partial<TenantPolicy>): TenantPolicy {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) {
    throw new ValidationError("policy must be an object", { target: "policy" });
  }
  for (const key of Object.keys(patch)) {
    if (!(key in DEFAULT_POLICY)) {
      throw new ValidationError(`policy: unknown setting '${key}'`, { target: key });
    }
  }
  const merged = { ...base, ...patch };
  const maxSessions = merged.maxSessionsPerUser;
  if (
    maxSessions !== null &&
    (typeof maxSessions !== "number" || !Number.isInteger(maxSessions) || maxSessions < 1)
  ) {
    throw new ValidationError(
      `maxSessionsPerUser must be a positive integer or null, got ${quote(maxSessions)}`,
      { target: "maxSessionsPerUser" },
    );
  }
  if (merged.onSessionLimit !== "evict-oldest" && merged.onSessionLimit !== "reject") {
    throw new ValidationError(
      `onSessionLimit must be 'evict-oldest' or 'reject', got ${quote(merged.onSessionLimit)}`,
      { target: "onSessionLimit" },
    );
  }
  return {
    idleTimeoutMs: duration("idleTimeoutMs", merged.idleTimeoutMs, MIN_IDLE_TIMEOUT_MS),
    maxLifetimeMs: duration("maxLifetimeMs", merged.maxLifetimeMs, MIN_LIFETIME_MS),
    touchResolutionMs: duration("touchResolutionMs", merged.touchResolutionMs, 0),
    maxSessionsPerUser: maxSessions,
    onSessionLimit: merged.onSessionLimit,
  };
}
