/** What multiprocess.test.ts and its worker processes agree on. */
export const TENANT = "shared-tenant";
/** Hot users: creates race on their cap. */
export const USERS = 3;
/** Cold users: their sessions are rarely replaced, so many lapse and the sweeps have work. */
export const COLD_USERS = 200;
/** Open sessions a user may hold; creates evict the oldest beyond it. */
export const CAP = 4;
/** Short, so sessions nobody validates lapse during the run and the sweeps have work. */
export const IDLE_MS = 1500;
/** Longer than the run: a task changes runner only when one hands it back. */
export const LEASE_MS = 60_000;

export interface WorkerReport {
  worker: number;
  /** Ids whose create returned. */
  created: string[];
  /** Id → the last activity time a touch returned. */
  touched: Record<string, number>;
  /** Ids this worker's calls reported as ended (terminations, logouts, evictions, tasks). */
  ended: string[];
  /** Ids this worker's sweeps reported as expired. */
  expired: string[];
  /** Moments a user was seen holding more open sessions than the cap right after a create. */
  capViolations: string[];
  /** Tasks this worker submitted. */
  submitted: string[];
  /** Successful claims of a task by this worker's runner (compare-and-set on its state). */
  claims: string[];
  /** Tasks this worker's runner handed back to the queue (on stop). */
  handbacks: string[];
  /** Task batches this worker's runner recorded, as `task@from`. */
  batches: string[];
  operations: number;
  errors: string[];
}

export const emptyReport = (worker: number): WorkerReport => ({
  worker,
  created: [],
  touched: {},
  ended: [],
  expired: [],
  capViolations: [],
  submitted: [],
  claims: [],
  handbacks: [],
  batches: [],
  operations: 0,
  errors: [],
});
