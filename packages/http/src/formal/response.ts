/**
 * Sessions as Formal `SessionObject`s. Formal records sessions to data stores through its
 * connectors; a login session has no sidecar, resource or connector, so those are left out,
 * as protobuf's JSON form leaves out unset fields. Times are RFC 3339 UTC.
 */
import type { Session } from "@session-ledger/core";

/** A user as Formal describes one. */
export interface FormalUser {
  id: string;
  name?: string;
  email?: string;
  /** `human` for interactive (UI) sessions, `machine` for API clients. */
  type: "human" | "machine";
}

/** One session as Formal's `SessionsService` returns it. */
export interface FormalSession {
  id: string;
  startTime: string;
  /** Absent while the session is active. */
  endTime?: string;
  /** A protobuf `Duration` (`"5400s"`, `"3.500s"`): until the end, or until now while active. */
  duration: string;
  sessionStatus: "active" | "completed";
  network?: { clientIpAddress?: string; serverIpAddress?: string };
  user: { type: "formal"; username: string; formal: { user: FormalUser } };
}

const rfc3339 = (ms: number) => new Date(ms).toISOString();

/** Milliseconds as a protobuf `Duration` in its canonical JSON form: 0 or 3 fraction digits. */
export function protobufDuration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  const seconds = Math.floor(whole / 1000);
  const millis = whole % 1000;
  return millis === 0 ? `${seconds}s` : `${seconds}.${String(millis).padStart(3, "0")}s`;
}

/** The session as a Formal `SessionObject`, as it stands at `now`, in the order Formal lists the fields. */
export function formalSession(session: Session, now: number): FormalSession {
  const network: NonNullable<FormalSession["network"]> = {
    ...(session.clientIp !== null && { clientIpAddress: session.clientIp }),
    ...(session.serverIp !== null && { serverIpAddress: session.serverIp }),
  };
  const user: FormalUser = {
    id: session.user.id,
    ...(session.user.fullName !== null && { name: session.user.fullName }),
    ...(session.user.email !== null && { email: session.user.email }),
    type: session.accessType === "UI" ? "human" : "machine",
  };
  return {
    id: session.id,
    startTime: rfc3339(session.createdAt),
    ...(session.endedAt !== null && { endTime: rfc3339(session.endedAt) }),
    duration: protobufDuration((session.endedAt ?? now) - session.createdAt),
    sessionStatus: session.status === "ACTIVE" ? "active" : "completed",
    ...(Object.keys(network).length > 0 && { network }),
    user: { type: "formal", username: session.user.login, formal: { user } },
  };
}
