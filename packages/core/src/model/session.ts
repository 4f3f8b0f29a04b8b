/** Where a session stands. A stored `ACTIVE` row whose deadline has passed reads as `EXPIRED`. */
export const SessionStatus = {
  Active: "ACTIVE",
  LoggedOut: "LOGGED_OUT",
  Revoked: "REVOKED",
  Expired: "EXPIRED",
} as const;
export type SessionStatus = (typeof SessionStatus)[keyof typeof SessionStatus];
export const SESSION_STATUSES: readonly SessionStatus[] = Object.values(SessionStatus);

/** Why a session ended. */
export const EndReason = {
  Logout: "LOGOUT",
  Revoked: "REVOKED",
  IdleTimeout: "IDLE_TIMEOUT",
  MaxLifetime: "MAX_LIFETIME",
  Replaced: "REPLACED",
} as const;
export type EndReason = (typeof EndReason)[keyof typeof EndReason];
export const END_REASONS: readonly EndReason[] = Object.values(EndReason);

export interface SessionUser {
  /** The host's user id; compared exactly. */
  id: string;
  login: string;
  fullName: string | null;
  email: string | null;
}

/** Browser, OS and device as parsed from the user agent (null where unknown). */
export interface ClientInfo {
  browser: string | null;
  os: string | null;
  device: string | null;
}

/**
 * A login session as every read reports it. Times are epoch milliseconds.
 * `expiresAt` is the effective deadline: min(lastActivityAt + idle timeout, absoluteExpiresAt).
 */
export interface Session {
  id: string;
  tenantId: string;
  sessionIdentifier: string | null;
  user: SessionUser;
  clientType: string;
  accessType: string;
  clientIp: string | null;
  serverIp: string | null;
  userAgent: string | null;
  clientInfo: ClientInfo | null;
  city: string | null;
  country: string | null;
  licenseEdition: string | null;
  status: SessionStatus;
  endReason: EndReason | null;
  createdAt: number;
  lastActivityAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
  endedAt: number | null;
  attributes: Record<string, unknown> | null;
}

/**
 * A session as a store persists it: the public fields plus the SHA-256 (hex) of the token
 * secret. The raw secret is never stored. `status` here is what was written; a row left
 * `ACTIVE` past its deadline is lapsed, and reads report it through `effectiveSession`.
 */
export interface SessionRecord extends Session {
  secretHash: string;
}

/** True while the record is open at `now`: not ended and its deadline not reached. */
export function isOpenAt(record: Pick<Session, "endedAt" | "expiresAt">, now: number): boolean {
  return record.endedAt === null && record.expiresAt > now;
}

/** The reason a lapsed session ended: the absolute lifetime when that deadline bound it. */
export function lapseReason(record: Pick<Session, "expiresAt" | "absoluteExpiresAt">): EndReason {
  return record.expiresAt >= record.absoluteExpiresAt
    ? EndReason.MaxLifetime
    : EndReason.IdleTimeout;
}

/**
 * The session as a read at `now` reports it: without the secret hash, and a lapsed open row
 * as `EXPIRED` with `endedAt = expiresAt`, whether or not a sweep has run.
 */
export function effectiveSession(record: Session, now: number): Session {
  // A literal rather than `{ secretHash, ...session }`: V8 copies an object rest with an
  // excluded key on a slow generic path (~0.28 µs a record against ~0.02 µs), paid on every
  // row of every list and export. The `Session` return type makes a missed field an error.
  const lapsed = record.endedAt === null && record.expiresAt <= now;
  return {
    id: record.id,
    tenantId: record.tenantId,
    sessionIdentifier: record.sessionIdentifier,
    user: record.user,
    clientType: record.clientType,
    accessType: record.accessType,
    clientIp: record.clientIp,
    serverIp: record.serverIp,
    userAgent: record.userAgent,
    clientInfo: record.clientInfo,
    city: record.city,
    country: record.country,
    licenseEdition: record.licenseEdition,
    status: lapsed ? SessionStatus.Expired : record.status,
    endReason: lapsed ? lapseReason(record) : record.endReason,
    createdAt: record.createdAt,
    lastActivityAt: record.lastActivityAt,
    expiresAt: record.expiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    endedAt: lapsed ? record.expiresAt : record.endedAt,
    attributes: record.attributes,
  };
}
