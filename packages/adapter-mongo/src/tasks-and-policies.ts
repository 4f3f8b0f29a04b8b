/** Tenant policies and persisted background tasks: small collections, plain conditional writes. */
import {
  type BackgroundTask,
  ConflictError,
  StorageError,
  TaskStatus,
  type TenantPolicy,
} from "@session-ledger/core";
import type {
  EndChange,
  StorePolicies,
  StoreTasks,
  TaskBatch,
  TaskCondition,
  TaskPatch,
} from "@session-ledger/core/store";
import type { Document } from "mongodb";
import {
  checkEndChange,
  checkPolicy,
  checkTask,
  checkTaskCondition,
  encodeJson,
  requireCount,
  requireId,
  requireTime,
  taskPatchFields,
} from "./boundary.js";
import {
  type TaskDocument,
  toBackgroundTask,
  toTaskDocument,
  toTaskState,
  toTenantPolicy,
} from "./documents.js";
import { isDuplicateKey, storageError } from "./driver-errors.js";
import { endByIds } from "./session-lifecycle.js";
import { COLLATION, driver, type StoreCollections } from "./store-context.js";
import { joinOutcome, outcomeParts, PAYLOAD_PART_CHARS, payloadParts } from "./task-parts.js";

/** Updates and polls leave the payload (and its parts) where it is: only `getTask` reads it. */
const WITHOUT_PAYLOAD = { payloadJson: 0, payloadParts: 0 } as const;

export function tasksAndPolicies(collections: StoreCollections): StorePolicies & StoreTasks {
  const { policies, tasks, taskOutcomes, taskPayloads } = collections;

  /** The task a document holds, its payload read back from its parts when it has them. */
  async function readTask(doc: TaskDocument): Promise<BackgroundTask> {
    const partIds = doc.payloadParts ?? [];
    if (partIds.length === 0) return toBackgroundTask(doc, doc.payloadJson);
    const parts = await driver("read a task payload", () =>
      taskPayloads.find({ _id: { $in: partIds } }, COLLATION).toArray(),
    );
    if (parts.length !== partIds.length) {
      throw new StorageError(`mongo store: task '${doc.id}' is missing parts of its payload`);
    }
    parts.sort((a, b) => a.seq - b.seq);
    return toBackgroundTask(doc, parts.map((part) => part.text).join(""));
  }

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
      const json = encodeJson(checked.payload);
      // A large payload goes first, in parts; the task document that names them makes it count.
      const parts =
        json !== null && json.length > PAYLOAD_PART_CHARS
          ? payloadParts(checked.tenantId, checked.id, json)
          : [];
      for (const part of parts) {
        await driver("store a task payload", () => taskPayloads.insertOne(part));
      }
      const partIds = parts.map((part) => part._id);
      try {
        await tasks.insertOne(
          toTaskDocument(checked, { json: parts.length > 0 ? null : json, parts: partIds }),
        );
      } catch (error) {
        if (partIds.length > 0) {
          await driver("drop an unused task payload", () =>
            taskPayloads.deleteMany({ _id: { $in: partIds } }, COLLATION),
          );
        }
        if (!isDuplicateKey(error)) throw storageError("insert a task", error);
        throw new ConflictError(`task '${checked.id}' already exists in this tenant`);
      }
    },

    async getTask(tenantId, id) {
      const filter = { tenantId: requireId("tenantId", tenantId), id: requireId("id", id) };
      const doc = await driver("read a task", () => tasks.findOne(filter, COLLATION));
      return doc && readTask(doc);
    },

    async getTaskState(tenantId, id) {
      const filter = { tenantId: requireId("tenantId", tenantId), id: requireId("id", id) };
      const doc = await driver("read a task", () =>
        tasks.findOne(filter, { ...COLLATION, projection: WITHOUT_PAYLOAD }),
      );
      return doc && toTaskState(doc);
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
        tasks.findOneAndUpdate(
          filter,
          { $set: set },
          { ...COLLATION, returnDocument: "after", projection: WITHOUT_PAYLOAD },
        ),
      );
      return doc && toTaskState(doc);
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
      const parts = outcomeParts(tenantId, taskId, from, {
        ended: outcome.ended.map((ended) => ended.id),
        alreadyEnded: outcome.alreadyEnded,
        notFound: outcome.notFound,
      });
      for (const part of parts) {
        await driver("record a task batch", () => taskOutcomes.insertOne(part));
      }
      const partIds = parts.map((part) => part._id);
      // The outcome counts only once the task names it, in the write that advances progress.
      const advanced = await driver("advance a task", () =>
        tasks.findOneAndUpdate(
          held,
          { $set: set, $push: { parts: { $each: partIds } } },
          // Only whether it advanced: not the task back, with its inline payload and part ids.
          { ...COLLATION, projection: { _id: 1 } },
        ),
      );
      if (advanced) return outcome;
      await driver("drop an unrecorded batch", () =>
        taskOutcomes.deleteMany({ _id: { $in: partIds } }, COLLATION),
      );
      return null;
    },

    async getTaskOutcome(tenantId, taskId) {
      const filter = { tenantId: requireId("tenantId", tenantId), id: requireId("taskId", taskId) };
      const task = await driver("read a task", () =>
        tasks.findOne(filter, { ...COLLATION, projection: { _id: 0, parts: 1 } }),
      );
      const partIds: string[] = task?.parts ?? [];
      if (partIds.length === 0) return { ended: [], alreadyEnded: [], notFound: [] };
      // By task rather than by a list of up to 100,000 part ids; parts the task does not name
      // (left by a runner that lost its lease) are skipped.
      const docs = await driver("read task outcomes", () =>
        taskOutcomes.find({ tenantId: filter.tenantId, taskId: filter.id }, COLLATION).toArray(),
      );
      return joinOutcome(partIds, docs);
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
            projection: WITHOUT_PAYLOAD,
          })
          .toArray(),
      );
      return docs.map(toTaskState);
    },
  };
}
