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
  /** The task's input, as JSON-serialisable data (a termination: `{ ids: string[] }`). */
  payload: unknown;
  /**
   * How many of the task's items are done, in payload order (a termination: ids processed).
   * Only `endTaskBatch` advances it, together with the outcome of those items.
   */
  progress: number;
  /** Why a FAILED task failed. */
  error: string | null;
  createdAt: number;
  updatedAt: number;
  /** Which runner holds the task while RUNNING, and until when its claim is good. */
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
}

/**
 * A task without its payload: what updates and polls return. A 100,000-id payload is megabytes
 * of JSON, so only `getTask` reads it.
 */
export type TaskState = Omit<BackgroundTask, "payload">;
