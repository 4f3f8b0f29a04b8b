/** Tenant policies and persisted background tasks: small collections, plain conditional writes. */
import { randomUUID } from "node:crypto";
import {
  type BackgroundTask,
  ConflictError,
  type EndChange,
  type SessionStore,
  type TaskBatch,
  type TaskCondition,
  type TaskOutcome,
  type TaskPatch,
  TaskStatus,
  type TenantPolicy,
} from "@session-ledger/core";
import type { Document } from "mongodb";
import {
  checkEndChange,
  checkPolicy,
  checkTask,
  checkTaskCondition,
  requireCount,
  requireId,
  requireTime,
  taskPatchFields,
} from "./boundary.js";
import {
  type TaskOutcomeDocument,
  toBackgroundTask,
  toTaskDocument,
  toTenantPolicy,
} from "./documents.js";
import { isDuplicateKey, storageError } from "./driver-errors.js";
import { endByIds } from "./session-lifecycle.js";
import { COLLATION, driver, type StoreCollections } from "./store-context.js";

type TasksAndPolicies = Pick<
  SessionStore,
  | "getPolicy"
  | "putPolicy"
  | "insertTask"
  | "getTask"
  | "updateTask"
  | "endTaskBatch"
  | "getTaskOutcome"
  | "findClaimableTasks"
>;

export function tasksAndPolicies(collections: StoreCollections): TasksAndPolicies {
  const { policies, tasks, taskOutcomes } = collections;
  return {
    async getPolicy(tenantId) {
      const _id = requireId("tenantId", tenantId);
      const doc = await driver("read a policy", () => policies.findOne({ _id }, COLLATION));
      return doc && toTenantPolicy(doc);
    },

    async putPolicy(tenantId, policy: TenantPolicy) {
      const _id = requireId("tenantId", tenantId);
      const set = checkPolicy(policy);
      await driver("write a policy", () =>
        policies.updateOne({ _id }, { $set: set }, { ...COLLATION, upsert: true }),
      );
    },

    async insertTask(task: BackgroundTask) {
      const checked = checkTask(task);
      try {
        await tasks.insertOne(toTaskDocument(checked));
      } catch (error) {
        if (!isDuplicateKey(error)) throw storageError("insert a task", error);
        throw new ConflictError(`task '${checked.id}' already exists in this tenant`);
      }
    },

    async getTask(tenantId, id) {
      const filter = { tenantId: requireId("tenantId", tenantId), id: requireId("id", id) };
      const doc = await driver("read a task", () => tasks.findOne(filter, COLLATION));
      return doc && toBackgroundTask(doc);
    },

    async updateTask(tenantId, id, patch: TaskPatch, condition?: TaskCondition) {
      const filter: Document = {
        tenantId: requireId("tenantId", tenantId),
        id: requireId("id", id),
      };
      const set = taskPatchFields(patch);
      const checked = checkTaskCondition(condition);
      if (checked.statuses) filter.status = { $in: checked.statuses };
      if (checked.leaseOwner !== undefined) {
        filter.leaseOwner = { $eq: checked.leaseOwner };
      }
      if (checked.leaseExpiredAt !== undefined) {
        filter.$or = [
          { leaseExpiresAt: null },
          { leaseExpiresAt: { $lte: checked.leaseExpiredAt } },
        ];
      }
      const doc = await driver("update a task", () =>
        tasks.findOneAndUpdate(filter, { $set: set }, { ...COLLATION, returnDocument: "after" }),
      );
      return doc && toBackgroundTask(doc);
    },

    async endTaskBatch(tenantId, taskId, batch: TaskBatch, change: EndChange) {
      requireId("tenantId", tenantId);
      requireId("taskId", taskId);
      const checked = checkEndChange(change);
      const from = requireCount("from", batch.from, 0);
      const held = {
        tenantId,
        id: taskId,
        status: TaskStatus.Running,
        leaseOwner: { $eq: requireId("owner", batch.owner) },
        progress: from,
      };
      const set = {
        progress: from + batch.ids.length,
        leaseExpiresAt: requireTime("leaseExpiresAt", batch.leaseExpiresAt),
        updatedAt: requireTime("updatedAt", batch.updatedAt),
      };
      const ids = batch.ids.map((id, i) => requireId(`batch.ids[${i}]`, id));
      if (!(await driver("read a task", () => tasks.findOne(held, COLLATION)))) return null;
      // No transaction spans these writes; instead each step is exact when repeated. The ends
      // carry the task's id, so a retry of this batch counts the sessions it ended as ended.
      const outcome = await endByIds(collections, tenantId, ids, checked, taskId);
      const part: TaskOutcomeDocument = {
        _id: randomUUID(),
        tenantId,
        taskId,
        start: from,
        ended: outcome.ended.map((ended) => ended.id),
        alreadyEnded: outcome.alreadyEnded,
        notFound: outcome.notFound,
      };
      await driver("record a task batch", () => taskOutcomes.insertOne(part));
      // The outcome counts only once the task names it, in the write that advances progress.
      const advanced = await driver("advance a task", () =>
        tasks.findOneAndUpdate(held, { $set: set, $push: { parts: part._id } }, COLLATION),
      );
      if (advanced) return outcome;
      await driver("drop an unrecorded batch", () =>
        taskOutcomes.deleteOne({ _id: part._id }, COLLATION),
      );
      return null;
    },

    async getTaskOutcome(tenantId, taskId) {
      const filter = { tenantId: requireId("tenantId", tenantId), id: requireId("taskId", taskId) };
      const task = await driver("read a task", () =>
        tasks.findOne(filter, { ...COLLATION, projection: { _id: 0, parts: 1 } }),
      );
      const outcome: TaskOutcome = { ended: [], alreadyEnded: [], notFound: [] };
      const partIds: string[] = task?.parts ?? [];
      if (partIds.length === 0) return outcome;
      const docs = await driver("read task outcomes", () =>
        taskOutcomes.find({ _id: { $in: partIds } }, COLLATION).toArray(),
      );
      const byId = new Map(docs.map((doc) => [doc._id, doc]));
      for (const id of partIds) {
        const part = byId.get(id);
        if (!part) continue;
        outcome.ended.push(...part.ended);
        outcome.alreadyEnded.push(...part.alreadyEnded);
        outcome.notFound.push(...part.notFound);
      }
      return outcome;
    },

    async findClaimableTasks(now, limit) {
      const at = requireTime("now", now);
      if (requireCount("limit", limit, 0) === 0) return [];
      const filter = {
        $or: [
          { status: TaskStatus.Queued },
          { status: TaskStatus.Running, leaseExpiresAt: { $lte: at } },
          { status: TaskStatus.Running, leaseExpiresAt: null },
        ],
      };
      const docs = await driver("find claimable tasks", () =>
        tasks
          .find(filter, {
            ...COLLATION,
            sort: { createdAt: 1, id: 1 },
            limit,
          })
          .toArray(),
      );
      return docs.map(toBackgroundTask);
    },
  };
}
