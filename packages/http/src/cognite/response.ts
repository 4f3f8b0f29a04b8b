/**
 * Sessions as Cognite login sessions: `{id, createdTime, status, deactivatedTime}`, times in
 * epoch milliseconds.
 */
import type { Session, SessionStatus } from "@session-ledger/core";

/** One login session as the Cognite API lists it. */
export interface CogniteLoginSession {
  id: string;
  createdTime: number;
  status: SessionStatus;
  /** When the session ended (logged out, revoked or expired); absent while it is active. */
  deactivatedTime?: number;
}

/** The session as a Cognite login session. */
export function loginSession(session: Session): CogniteLoginSession {
  const item: CogniteLoginSession = {
    id: session.id,
    createdTime: session.createdAt,
    status: session.status,
  };
  // Cognite's own example leaves the field out for an ACTIVE session.
  if (session.endedAt !== null) item.deactivatedTime = session.endedAt;
  return item;
}
