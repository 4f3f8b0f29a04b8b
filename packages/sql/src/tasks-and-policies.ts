/**
 * Tenant policies and persisted background tasks: small tables, plain conditional writes, the
 * same SQL on every SQL store. Lease changes are compare-and-set: one conditional UPDATE each.
 */
import type { BackgroundTask, TenantPolicy } from "@session-ledger/core";
import { ConflictError } from "@session-ledger/core";
import type {
  StorePolicies,
  StoreTasks,
  TaskCondition,
  TaskOutcome,
  TaskPatch,
} from "@session-ledger/core/store";
import { type SqlBool, sql } from "kysely";
import { requireCount, requireInstant } from "./arguments.js";
import type { SqlStoreContext } from "./context.js";
import { fromTaskRow, type TaskReadRow, taskPayloadJson, taskStateOf, toTaskRow } from "./rows.js";
import type { TasksTable } from "./tables.js";

/** The task methods but the batch, which `sqlSessionLifecycle` runs with the session ends. */
type TasksAndPolicies = StorePolicies & Omit<StoreTasks, "endTaskBatch">;

export function tasksAndPolicies({
  db,
  runner,
  reader,
  tables,
  compiler,
  errors,
}: SqlStoreContext): TasksAndPolicies {
  const { guarded } = errors;
  const taskRow = async (tenantId: string, id: string) => {
    const [row] = await runner.all<TaskReadRow>(
      db
        .selectFrom(tables.tasks)
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .where("id", "=", id)
        .compile(),
    );
    return row;
  };
  return {
    getPolicy: (tenantId) =>
      guarded("getPolicy", async () => {
        const [row] = await runner.all<{ policy: string }>(
          db
            .selectFrom(tables.policies)
            .select("policy")
            .where("tenant_id", "=", tenantId)
            .compile(),
        );
        return row ? (JSON.parse(row.policy) as TenantPolicy) : null;
      }),

    putPolicy: (tenantId, policy) =>
      guarded("putPolicy", async () => {
        const json = JSON.stringify(policy);
        await runner.all(
          db
            .insertInto(tables.policies)
            .values({ tenant_id: tenantId, policy: json })
            .onConflict((conflict) => conflict.column("tenant_id").doUpdateSet({ policy: json }))
            .compile(),
        );
      }),

    insertTask: (task: BackgroundTask) =>
      guarded("insertTask", async () => {
        try {
          await runner.transaction(async (tx) => {
            await tx.all(db.insertInto(tables.tasks).values(toTaskRow(task)).compile());
            await tx.all(
              db
                .insertInto(tables.task_payloads)
                .values({
                  tenant_id: task.tenantId,
                  task_id: task.id,
                  payload: taskPayloadJson(task),
                })
                .compile(),
            );
          });
        } catch (error) {
          if (!errors.isUniqueViolation(error)) throw error;
          throw new ConflictError(`task '${task.id}' already exists in this tenant`);
        }
      }),

    getTask: (tenantId, id) =>
      guarded("getTask", async () => {
        const row = await taskRow(tenantId, id);
        if (!row) return null;
        const [stored] = await runner.all<{ payload: string | null }>(
          db
            .selectFrom(tables.task_payloads)
            .select("payload")
            .where("tenant_id", "=", tenantId)
            .where("task_id", "=", id)
            .compile(),
        );
        return fromTaskRow(row, stored?.payload ?? null);
      }),

    getTaskState: (tenantId, id) =>
      guarded("getTaskState", async () => {
        const row = await taskRow(tenantId, id);
        return row ? taskStateOf(row) : null;
      }),

    updateTask: (tenantId, id, patch: TaskPatch, condition?: TaskCondition) =>
      guarded("updateTask", async () => {
        const changes: Partial<TasksTable> = {
          updated_at: requireInstant(patch.updatedAt, "updatedAt"),
        };
        if (patch.status !== undefined) changes.status = patch.status;
        if (patch.error !== undefined) changes.error = patch.error;
        if (patch.leaseOwner !== undefined) changes.lease_owner = patch.leaseOwner;
        if (patch.leaseExpiresAt !== undefined) changes.lease_expires_at = patch.leaseExpiresAt;
        let update = db
          .updateTable(tables.tasks)
          .set(changes)
          .where("tenant_id", "=", tenantId)
          .where("id", "=", id);
        if (condition?.statuses !== undefined) {
          if (condition.statuses.length === 0) return null;
          update = update.where("status", "in", [...condition.statuses]);
        }
        if (condition?.leaseOwner !== undefined) {
          update = update.where(compiler.same(sql.ref("lease_owner"), condition.leaseOwner));
        }
        if (condition?.leaseExpiredAt !== undefined) {
          const at = requireInstant(condition.leaseExpiredAt, "leaseExpiredAt");
          update = update.where(
            sql<SqlBool>`(lease_expires_at IS NULL OR lease_expires_at <= ${at})`,
          );
        }
        const [row] = await runner.all<TaskReadRow>(update.returningAll().compile());
        return row ? taskStateOf(row) : null;
      }),

    getTaskOutcome: (tenantId, taskId) =>
      guarded("getTaskOutcome", async () => {
        // Up to 100,000 ids: read on a worker, and joined here batch by batch in task order.
        const batches = await reader.all<{
          ended: string;
          already_ended: string;
          not_found: string;
        }>(
          db
            .selectFrom(tables.task_outcomes)
            .select(["ended", "already_ended", "not_found"])
            .where("tenant_id", "=", tenantId)
            .where("task_id", "=", taskId)
            .orderBy("start")
            .compile(),
        );
        const outcome: TaskOutcome = { ended: [], alreadyEnded: [], notFound: [] };
        for (const batch of batches) {
          outcome.ended.push(...(JSON.parse(batch.ended) as string[]));
          outcome.alreadyEnded.push(...(JSON.parse(batch.already_ended) as string[]));
          outcome.notFound.push(...(JSON.parse(batch.not_found) as string[]));
        }
        return outcome;
      }),

    findClaimableTasks: (now, limit) =>
      guarded("findClaimableTasks", async () => {
        const at = requireInstant(now);
        const found = await runner.all<TaskReadRow>(
          db
            .selectFrom(tables.tasks)
            .selectAll()
            .where(
              sql<SqlBool>`(status = 'QUEUED' OR (status = 'RUNNING' AND coalesce(lease_expires_at, 0) <= ${at}))`,
            )
            .orderBy("created_at")
            .orderBy("id")
            .limit(requireCount("limit", limit, 0))
            .compile(),
        );
        return found.map(taskStateOf);
      }),
  };
}
