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

/** The tenant's policy: the cap races, touches are written every time, idle sessions lapse. */
export const POLICY = {
  maxSessionsPerUser: CAP,
  onSessionLimit: "evict-oldest",
  touchResolutionMs: 0,
  idleTimeoutMs: IDLE_MS,
} as const;

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
  /** Errors other than a `StorageError`: always a failure. */
  errors: string[];
  /** Calls that failed with `StorageError` (the faults test provokes them). */
  storageErrors: number;
  /** Sweeps that failed: what they ended may have been committed without being reported. */
  failedSweeps: number;
  /** Sessions a touch of failed for: the stored activity may be newer than the last reported. */
  uncertainTouches: string[];
  /** The longest any library call took, failed or not. */
  maxCallMs: number;
  /** Calls after the parent said the faults were over, and how many of them failed. */
  callsAfterFaults: number;
  failuresAfterFaults: number;
  /** Of the calls after the faults, how many in a row succeeded at the end. */
  finalSuccessStreak: number;
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
  storageErrors: 0,
  failedSweeps: 0,
  uncertainTouches: [],
  maxCallMs: 0,
  callsAfterFaults: 0,
  failuresAfterFaults: 0,
  finalSuccessStreak: 0,
});

/** The faults test's bounds: short, so a call that hangs shows within the test's time. */
export const FAULT_TIMEOUTS = { connectTimeoutMs: 2000, statementTimeoutMs: 5000 } as const;
/** A lease that lapses within the faults test, so a runner cut off mid-task is replaced. */
export const FAULT_LEASE_MS = 2000;
/** Successful calls in a row, after the faults, that show a worker's pool has recovered. */
export const RECOVERED_AFTER = 40;
/** Messages between the faults test and its workers. */
export type FaultMessage = { faults: "over" } | { running: number };
