import { nanoid } from "nanoid";
import { SessionLedgerError } from "../errors.js";
import { type BackgroundTask, TaskStatus } from "../model/task.js";
import { requireId, requireIdList } from "./arguments.js";
import type { SessionLedger } from "./ledger.js";

export const TERMINATE_TASK = "terminate_sessions";

/** Progress and outcome of a termination task, persisted after every batch. */
export interface TerminationResult {
  total: number;
  processed: number;
  ended: string[];
  alreadyEnded: string[];
  notFound: string[];
  /** Ids of a batch the store failed on; the task then ends FAILED with the rest unprocessed. */
  failed: string[];
}

export interface TaskRunnerOptions {
  ledger: SessionLedger;
  /** This runner's name in leases. @default a random id */
  owner?: string;
  /** How long a claim lasts without renewal; a crashed runner's tasks resume after it. @default 30_000 */
  leaseMs?: number;
  /** How often `start()` looks for claimable tasks. @default 1000 */
  pollMs?: number;
  /** Sessions ended per store call (and per progress write). @default 1000 */
  batchSize?: number;
  /** Receives errors the poll loop could not attribute to a task. @default console.error */
  onError?(error: unknown): void;
}

const MAX_TERMINATION_IDS = 100_000;

/**
 * Runs persisted background tasks (bulk terminations) so a request can return at once and
 * a restart never leaves a task stuck: progress is written after each batch under a lease,
 * and any runner resumes a task whose lease ran out.
 */
export function createTaskRunner(options: TaskRunnerOptions) {
  const { ledger } = options;
  const { store } = ledger;
  const owner = options.owner ?? `runner-${nanoid(10)}`;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 1000;
  const batchSize = options.batchSize ?? 1000;
  const onError = options.onError ?? ((e) => console.error("session-ledger: task runner", e));
  let timer: NodeJS.Timeout | null = null;

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
  let draining: Promise<void> | null = null;

  async function claim(task: BackgroundTask): Promise<BackgroundTask | null> {
    const now = ledger.now();
    const expired = task.status === TaskStatus.Running && (task.leaseExpiresAt ?? 0) <= now;
    if (task.status !== TaskStatus.Queued && !expired) return null;
    return store.updateTask(
      task.tenantId,
      task.id,
      {
        status: TaskStatus.Running,
        updatedAt: now,
        leaseOwner: owner,
        leaseExpiresAt: now + leaseMs,
      },
      { statuses: [task.status], leaseOwner: task.leaseOwner },
    );
  }

  async function runTermination(task: BackgroundTask): Promise<void> {
    const { ids } = task.payload as { ids: string[] };
    const result: TerminationResult = (task.result as TerminationResult | null) ?? {
      total: ids.length,
      processed: 0,
      ended: [],
      alreadyEnded: [],
      notFound: [],
      failed: [],
    };
    const write = (patch: { status?: TaskStatus; error?: string | null; leaseOwner?: null }) => {
      const now = ledger.now();
      return store.updateTask(
        task.tenantId,
        task.id,
        {
          ...patch,
          result,
          updatedAt: now,
          leaseExpiresAt: patch.leaseOwner === null ? null : now + leaseMs,
        },
        { statuses: [TaskStatus.Running], leaseOwner: owner },
      );
    };
    while (result.processed < ids.length) {
      const batch = ids.slice(result.processed, result.processed + batchSize);
      try {
        const outcome = await ledger.terminateSessions(task.tenantId, batch);
        result.ended.push(...outcome.ended);
        result.alreadyEnded.push(...outcome.alreadyEnded);
        result.notFound.push(...outcome.notFound);
      } catch (error) {
        result.failed.push(...batch);
        result.processed += batch.length;
        await write({ status: TaskStatus.Failed, error: failureText(error), leaseOwner: null });
        return;
      }
      result.processed += batch.length;
      // Losing the lease means another runner took over; stop without writing further.
      if (result.processed < ids.length && !(await write({}))) return;
    }
    await write({ status: TaskStatus.Success, leaseOwner: null });
  }

  async function run(task: BackgroundTask): Promise<void> {
    const claimed = await claim(task);
    if (!claimed) return;
    try {
      if (claimed.kind === TERMINATE_TASK) {
        await runTermination(claimed);
      } else {
        throw new Error(`unknown task kind '${claimed.kind}'`);
      }
    } catch (error) {
      await store.updateTask(
        claimed.tenantId,
        claimed.id,
        {
          status: TaskStatus.Failed,
          error: failureText(error),
          updatedAt: ledger.now(),
          leaseOwner: null,
          leaseExpiresAt: null,
        },
        { leaseOwner: owner },
      );
    }
  }

  /** Claims and runs every task that is queued or whose runner's lease ran out. */
  async function drain(): Promise<void> {
    for (;;) {
      const tasks = await store.findTasks([TaskStatus.Queued, TaskStatus.Running], 50);
      const now = ledger.now();
      const claimable = tasks.filter(
        (t) => t.status === TaskStatus.Queued || (t.leaseExpiresAt ?? 0) <= now,
      );
      if (claimable.length === 0) return;
      for (const task of claimable) await run(task);
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
        payload: { ids: requireIdList("ids", ids, MAX_TERMINATION_IDS) },
        result: null,
        error: null,
        createdAt: now,
        updatedAt: now,
        leaseOwner: null,
        leaseExpiresAt: null,
      };
      await store.insertTask(task);
      if (timer) void drainOnce().catch(onError);
      return task;
    },

    /** The task as stored, or null (tasks of other tenants are not visible). */
    getTask(tenantId: string, id: string): Promise<BackgroundTask | null> {
      return store.getTask(requireId("tenantId", tenantId), requireId("id", id));
    },

    /** Runs what is claimable now and resolves when nothing is left (for tests and scripts). */
    runPending: drainOnce,

    /** Polls for queued and abandoned tasks until `stop()`; resumes tasks of a crashed runner. */
    start(): void {
      if (timer) return;
      timer = setInterval(() => void drainOnce().catch(onError), pollMs);
      timer.unref();
      void drainOnce().catch(onError);
    },

    /** Stops polling and waits for the task in hand to reach its next checkpoint. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await draining;
    },
  };
}

export type TaskRunner = ReturnType<typeof createTaskRunner>;
