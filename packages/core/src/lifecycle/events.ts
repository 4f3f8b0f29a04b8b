import type { EndReason } from "../model/session.js";

export type SessionEventType =
  | "created"
  | "logged_out"
  | "revoked"
  | "expired"
  | "replaced"
  | "extended";

/** One event per session per lifecycle change, delivered to `hooks.onEvent`. */
export interface SessionEvent {
  type: SessionEventType;
  tenantId: string;
  sessionId: string;
  userId: string;
  /** When the change took effect (for `expired`: the deadline that passed). */
  at: number;
  endReason?: EndReason;
}

export interface SessionHooks {
  /** Called after each change is stored. A hook that throws does not undo or stop the change. */
  onEvent?(event: SessionEvent): void | Promise<void>;
  /** Receives errors thrown by `onEvent`. @default logs to `console.error` */
  onHookError?(error: unknown, event: SessionEvent): void;
}

export async function emitEvents(
  hooks: SessionHooks,
  events: Iterable<SessionEvent>,
): Promise<void> {
  const { onEvent } = hooks;
  if (!onEvent) return;
  for (const event of events) {
    try {
      await onEvent(event);
    } catch (error) {
      (hooks.onHookError ?? ((e) => console.error("session-ledger: event hook failed", e)))(
        error,
        event,
      );
    }
  }
}
