/** What multiprocess.test.ts and its worker processes agree on. */
export const TENANT = "shared-tenant";
export const USERS = 3;
/** Open sessions a user may hold; creates evict the oldest beyond it. */
export const CAP = 4;

export interface WorkerReport {
  worker: number;
  /** Ids whose create returned. */
  created: string[];
  /** Id → the last activity time a touch returned. */
  touched: Record<string, number>;
  /** Ids this worker's calls reported as ended (terminations, logouts and evictions). */
  ended: string[];
  /** Moments a user was seen holding more open sessions than the cap right after a create. */
  capViolations: string[];
  operations: number;
  errors: string[];
}
