/** A persisted background task (Octane's bulk terminate runs as one). */
export const TaskStatus = {
  Queued: "QUEUED",
  Running: "RUNNING",
  Success: "SUCCESS",
  Failed: "FAILED",
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

export interface BackgroundTask {
  id: string;
  tenantId: string;
  /** What the task does, e.g. `terminate_sessions`. */
  kind: string;
  status: TaskStatus;
  /** The task's input, as JSON-serialisable data. */
  payload: unknown;
  /** The outcome once finished (or progress while running), JSON-serialisable. */
  result: unknown;
  /** Why a FAILED task failed. */
  error: string | null;
  createdAt: number;
  updatedAt: number;
  /** Which runner holds the task while RUNNING, and until when its claim is good. */
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
}
