import { nanoid } from "nanoid";
import { SessionLedgerError, StorageError, ValidationError } from "../errors.js";
import { type BackgroundTask, type TaskState, TaskStatus } from "../model/task.js";
import type { SessionStore } from "../storage.js";
import { MAX_ID_LENGTH, quote, requireId, requireIdListInSlices } from "./arguments.js";
import { createBatchSizer, yieldToEventLoop } from "./batch-sizer.js";
import { type SessionLedger, storeOfLedger } from "./ledger.js";
import {
  checkOptions,
  kindOf,
  missingOption,
  optionalWholeNumber,
  requireStore,
} from "./options.js";

export const TERMINATE_TASK = "terminate_sessions";

/** Progress and outcome of a termination task, each list in the order the ids were given. */
export interface TerminationResult {
  total: number;
  processed: number;
  ended: string[];
  alreadyEnded: string[];
  notFound: string[];
  /** When the task FAILED: the ids it did not get to (the store failed on the first of them). */
  failed: string[];
}

/**
 * A task as a runner reports it: its state (not its payload) and, for a termination, its result
 * so far.
 */
export type TaskView = TaskState & { result: TerminationResult | null };

export interface TaskRunnerOptions {
  /** Ends each batch's sessions and tells the hooks (`ledger.terminateTaskBatch`). */
  ledger: SessionLedger;
  /**
   * Where the tasks are kept. @default the store the ledger runs on; give one only to wrap that
   * store (instrumentation, fault injection), or with a wrapped ledger: it must hold the same
   * data as the ledger's.
   */
  store?: SessionStore;
  /** This runner's name in leases. @default a random id */
  owner?: string;
  /** How long a claim lasts without renewal; a crashed runner's tasks resume after it. @default 30_000 */
  leaseMs?: number;
  /** How often `start()` looks for claimable tasks. @default 1000 */
  pollMs?: number;
  /**
   * Sessions ended per batch. By default each batch is sized so that it keeps the host's thread
   * busy for about 4 ms (an embedded store works on the host's thread), and the runner yields
   * to the event loop between batches.
   */
  batchSize?: number;
  /**
   * The waits, in ms, before a batch that failed with `StorageError` is tried again, one per
   * retry: a database that restarts or a connection that was cut is usually back within
   * seconds. Past the last the task is FAILED; `[]` fails it at the first `StorageError`. Any
   * other error fails it at once.
   * @default [250, 500, 1000, 2000, 4000, 8000] (about 16 s in all)
   */
  batchRetryDelaysMs?: readonly number[];
  /**
   * Receives each error a retried batch met, a failed task's error, and the errors the poll
   * loop could not attribute to a task.
   * @default console.error
   */
  onError?(error: unknown): void;
}

const MAX_TERMINATION_IDS = 100_000;

/**
 * `batchRetryDelaysMs` by default. A batch is safe to repeat: its ends, outcome and the task's
 * progress are one conditional step under the lease, so a retried batch that had committed
 * before its answer was lost is recognised and not counted twice.
 */
const BATCH_RETRY_DELAYS_MS: readonly number[] = Object.freeze([250, 500, 1000, 2000, 4000, 8000]);
const MAX_BATCH_RETRIES = 20;

function batchRetryDelays(factory: string, value: unknown): readonly number[] {
  if (value === undefined) return BATCH_RETRY_DELAYS_MS;
  if (!Array.isArray(value) || value.length > MAX_BATCH_RETRIES) {
    throw new ValidationError(
      `${factory}: batchRetryDelaysMs must be an array of at most ${MAX_BATCH_RETRIES} waits in ms, got ${quote(value)}`,
      { target: "batchRetryDelaysMs" },
    );
  }
  return Object.freeze(
    value.map(
      (delay, i) => optionalWholeNumber(factory, `batchRetryDelaysMs[${i}]`, delay ?? null) ?? 0,
    ),
  );
}

/** The store methods a runner calls. */
const TASK_STORE_METHODS = [
  "insertTask",
  "getTask",
  "getTaskState",
  "updateTask",
  "endTaskBatch",
  "getTaskOutcome",
  "findClaimableTasks",
] as const;

/**
 * The runner's options, checked where they are given.
 * @throws TypeError for a missing or unusable ledger or store, a value of the wrong kind, or an
 *   unknown option (in development)
 */
function checkRunnerOptions(options: TaskRunnerOptions) {
  const factory = "createTaskRunner";
  checkOptions(factory, options, [
    "ledger",
    "store",
    "owner",
    "leaseMs",
    "pollMs",
    "batchSize",
    "batchRetryDelaysMs",
    "onError",
  ]);
  const { ledger } = options;
  if (typeof ledger?.terminateTaskBatch !== "function" || typeof ledger.now !== "function") {
    throw missingOption(
      factory,
      "ledger",
      `the ledger from createSessionLedger, got ${kindOf(ledger)}`,
    );
  }
  // A wrapped ledger (a test's fault injection, say) names its store; a real one knows it.
  const store = options.store ?? storeOfLedger(ledger);
  requireStore(factory, store, TASK_STORE_METHODS);
  const owner = options.owner ?? `runner-${nanoid(10)}`;
  if (typeof owner !== "string" || owner.length === 0 || owner.length > MAX_ID_LENGTH) {
    throw missingOption(
      factory,
      "owner",
      `a string of 1 to ${MAX_ID_LENGTH} characters, got ${quote(owner)}`,
    );
  }
  if (options.onError !== undefined && typeof options.onError !== "function") {
    throw missingOption(factory, "onError", "a function (error) => void");
  }
  return {
    ledger,
    store,
    owner,
    leaseMs: optionalWholeNumber(factory, "leaseMs", options.leaseMs) ?? 30_000,
    pollMs: optionalWholeNumber(factory, "pollMs", options.pollMs) ?? 1000,
    batchSize: optionalWholeNumber(factory, "batchSize", options.batchSize),
    batchRetryDelaysMs: batchRetryDelays(factory, options.batchRetryDelaysMs),
  };
}
/**
 * Runs persisted background tasks (bulk terminations) so a request can return at once and a
 * restart never leaves a task stuck. Each batch's ends, its per-id outcome and the task's
 * progress are written as one step under the runner's lease (`SessionStore.endTaskBatch`), so
 * the work per batch does not grow with the task, and a task resumed by any runner after a crash
 * reports exactly what an uninterrupted run would have.
 */
export function createTaskRunner(options: TaskRunnerOptions) {
  const { ledger, store, owner, leaseMs, pollMs, batchSize, batchRetryDelaysMs } =
    checkRunnerOptions(options);
  const onError = options.onError ?? ((e) => console.error("session-ledger: task runner", e));
  let timer: NodeJS.Timeout | null = null;
  let stopping = false;
  let draining: Promise<void> | null = null;
  let warnedNotStarted = false;
  /** Ends the wait before a batch's retry at once, when the runner is stopped. */
  let wakeRetry: (() => void) | null = null;

  const retryWait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wakeRetry = null;
        resolve();
      }, ms);
      wakeRetry = () => {
        clearTimeout(timer);
        wakeRetry = null;
        resolve();
      };
    });

  /**
   * A task submitted while this runner is not started is only run by another node's runner. If
   * it is still queued a lease later, nothing runs it: said once, loudly, as a process warning.
   */
  function watchUnstarted(task: BackgroundTask): void {
    if (timer !== null || warnedNotStarted) return;
    const check = setTimeout(() => {
      if (timer !== null || warnedNotStarted) return;
      store.getTaskState(task.tenantId, task.id).then((state) => {
        if (state?.status !== TaskStatus.Queued || timer !== null || warnedNotStarted) return;
        warnedNotStarted = true;
        process.emitWarning(
          `task ${task.id} of tenant '${task.tenantId}' has waited ${leaseMs} ms as QUEUED and no task runner runs it: call taskRunner.start() at start-up (on at least one node)`,
          { code: "SESSION_LEDGER_TASK_RUNNER_NOT_STARTED" },
        );
      }, onError);
    }, leaseMs);
    check.unref();
  }

  /**
   * What a failed task records: our own errors' messages, but never a driver's text, which
   * can name tables or SQL and is read back by API clients. The full error goes to `onError`.
   */
  const failureText = (error: unknown) => {
    onError(error);
    return error instanceof SessionLedgerError && error.code !== "STORAGE_ERROR"
      ? error.message
      : "the session store failed; see the server log";
  };

  /** Takes a queued task, or one whose lease ran out, as a compare-and-set on its state. */
  function claim(task: TaskState): Promise<TaskState | null> {
    const now = ledger.now();
    return store.updateTask(
      task.tenantId,
      task.id,
      {
        status: TaskStatus.Running,
        updatedAt: now,
        leaseOwner: owner,
        leaseExpiresAt: now + leaseMs,
      },
      task.status === TaskStatus.Queued
        ? { statuses: [TaskStatus.Queued] }
        : { statuses: [TaskStatus.Running], leaseExpiredAt: now },
    );
  }

  /** Ends the task's lease with a final state, if this runner still holds it. */
  function release(task: TaskState, status: TaskStatus, error: string | null = null) {
    return store.updateTask(
      task.tenantId,
      task.id,
      { status, error, updatedAt: ledger.now(), leaseOwner: null, leaseExpiresAt: null },
      { statuses: [TaskStatus.Running], leaseOwner: owner },
    );
  }

  async function runTermination(task: BackgroundTask): Promise<void> {
    const { ids } = task.payload as { ids: string[] };
    const sizer = createBatchSizer({ fixed: batchSize, initial: 200, max: 5000 });
    let progress = task.progress;
    let retries = 0;
    while (progress < ids.length) {
      if (stopping) {
        // Hand the task back at once rather than making another runner wait out the lease.
        await release(task, TaskStatus.Queued);
        return;
      }
      const batch = ids.slice(progress, progress + sizer.size);
      let outcome: Awaited<ReturnType<SessionLedger["terminateTaskBatch"]>>;
      try {
        outcome = await sizer.measure(batch.length, () =>
          ledger.terminateTaskBatch(task.tenantId, task.id, {
            owner,
            from: progress,
            ids: batch,
            leaseExpiresAt: ledger.now() + leaseMs,
          }),
        );
      } catch (error) {
        const wait = error instanceof StorageError ? batchRetryDelaysMs[retries] : undefined;
        if (wait !== undefined) {
          // The same batch again after the wait (or back to the queue, if stopped meanwhile).
          // Should the lease run out, another runner may take the task over: this one's write is
          // then refused (null below) and it lets go.
          retries++;
          onError(error);
          await retryWait(wait);
          continue;
        }
        await release(task, TaskStatus.Failed, failureText(error));
        return;
      }
      retries = 0;
      // Null: another runner holds the task now; it carries on from the recorded progress.
      if (outcome === null) return;
      progress += batch.length;
      await yieldToEventLoop();
    }
    await release(task, TaskStatus.Success);
  }

  async function run(task: TaskState): Promise<void> {
    const claimed = await claim(task);
    if (!claimed) return;
    try {
      if (claimed.kind === TERMINATE_TASK) {
        // The payload (up to 100,000 ids) is read once per run, not with every poll and claim.
        const full = await store.getTask(claimed.tenantId, claimed.id);
        if (full === null) return;
        await yieldToEventLoop();
        await runTermination({ ...full, ...claimed });
      } else {
        throw new Error(`unknown task kind '${claimed.kind}'`);
      }
    } catch (error) {
      // A store that failed outside a batch (reading the payload, recording the end) leaves
      // the task RUNNING under this lease: once it runs out, a runner takes the task over from
      // its recorded progress, as after a crash. Anything else fails the task.
      if (error instanceof StorageError) {
        onError(error);
        return;
      }
      await release(claimed, TaskStatus.Failed, failureText(error));
    }
  }

  /** Claims and runs every task that is queued or whose runner's lease ran out. */
  async function drain(): Promise<void> {
    while (!stopping) {
      const claimable = await store.findClaimableTasks(ledger.now(), 50);
      if (claimable.length === 0) return;
      for (const task of claimable) {
        if (stopping) return;
        await run(task);
      }
    }
  }

  function drainOnce(): Promise<void> {
    draining ??= drain().finally(() => {
      draining = null;
    });
    return draining;
  }

  return {
    owner,

    /** Queues the termination of a list of sessions and starts it in the background. */
    async submitTermination(tenantId: string, ids: readonly string[]): Promise<BackgroundTask> {
      const now = ledger.now();
      const task: BackgroundTask = {
        id: nanoid(),
        tenantId: requireId("tenantId", tenantId),
        kind: TERMINATE_TASK,
        status: TaskStatus.Queued,
        payload: { ids: await requireIdListInSlices("ids", ids, MAX_TERMINATION_IDS) },
        progress: 0,
        error: null,
        createdAt: now,
        updatedAt: now,
        leaseOwner: null,
        leaseExpiresAt: null,
      };
      await store.insertTask(task);
      // The task starts on a later turn, so this request's answer is not held up by it.
      if (timer) setImmediate(() => void drainOnce().catch(onError));
      else watchUnstarted(task);
      return task;
    },

    /**
     * The task with its result so far, or null (tasks of other tenants are not visible). A
     * termination's result lists each id under its outcome, in the order the ids were given.
     * With `{ result: false }` (a poll of the status) the result is not read and is null: a
     * 100,000-id task's ids and outcome are megabytes of JSON.
     */
    async getTask(
      tenantId: string,
      id: string,
      { result = true }: { result?: boolean } = {},
    ): Promise<TaskView | null> {
      requireId("tenantId", tenantId);
      requireId("id", id);
      if (!result) {
        const state = await store.getTaskState(tenantId, id);
        return state && { ...state, result: null };
      }
      const task = await store.getTask(tenantId, id);
      if (task === null) return null;
      const { payload, ...state } = task;
      if (task.kind !== TERMINATE_TASK) return { ...state, result: null };
      const { ids } = payload as { ids: string[] };
      const outcome = await store.getTaskOutcome(tenantId, id);
      return {
        ...state,
        result: {
          total: ids.length,
          processed: task.progress,
          ...outcome,
          failed: task.status === TaskStatus.Failed ? ids.slice(task.progress) : [],
        },
      };
    },

    /** Runs what is claimable now and resolves when nothing is left (for tests and scripts). */
    runPending(): Promise<void> {
      stopping = false;
      return drainOnce();
    },

    /** Polls for queued and abandoned tasks until `stop()`; resumes tasks of a crashed runner. */
    start(): void {
      if (timer) return;
      stopping = false;
      timer = setInterval(() => void drainOnce().catch(onError), pollMs);
      timer.unref();
      void drainOnce().catch(onError);
    },

    /**
     * Stops polling; the task in hand stops after its current batch and goes back to the queue,
     * so another runner (or this one, started again) resumes it at once. Resolves when it has.
     */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      stopping = true;
      wakeRetry?.();
      await draining;
    },
  };
}

export type TaskRunner = ReturnType<typeof createTaskRunner>;
