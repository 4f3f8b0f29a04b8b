/** Sessions as records of SAYMON's session log; times in epoch milliseconds. */
import type { Session } from "@session-ledger/core";

/** One record of the session log. */
export interface SaymonSessionRecord {
  id: string;
  userId: string;
  login: string;
  startTime: number;
  /** Null while the session is open. */
  endTime: number | null;
  /** When the session ends (or ended) through inactivity or its maximum lifetime. */
  expiredAt: number;
}

/** The session as a record of the log. */
export function sessionRecord(session: Session): SaymonSessionRecord {
  return {
    id: session.id,
    userId: session.user.id,
    login: session.user.login,
    startTime: session.createdAt,
    endTime: session.endedAt,
    expiredAt: session.expiresAt,
  };
}
