/** What task-crash.test.ts and its server processes agree on. */
export const CRASH_TENANT = "1001";
export const CRASH_TASK = "crash-task";
/** Short, so the process after a crash takes the task over quickly. */
export const CRASH_LEASE_MS = 300;
