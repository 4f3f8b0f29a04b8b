/**
 * Replaying the store's driver calls through MongoDB's `explain`, and reading the plans it
 * returns: the helpers of the real-server lane (`explain.test.ts`).
 */
import type { Collection, Db, Document } from "mongodb";

const COLLATION = { locale: "simple" };

export interface RecordedCall {
  collection: string;
  method: string;
  args: unknown[];
}

/** The driver's `Db`, recording each collection method the store calls (with its arguments). */
export function recordingDb(db: Db, calls: RecordedCall[]): Db {
  const collections = new Map<string, Collection>();
  return new Proxy(db, {
    get(target, key) {
      if (key !== "collection") return Reflect.get(target, key, target);
      return (name: string, options?: object) => {
        let proxy = collections.get(name);
        if (!proxy) {
          const collection = target.collection(name, options);
          proxy = new Proxy(collection, {
            get(coll, method) {
              const value: unknown = Reflect.get(coll, method, coll);
              if (typeof value !== "function" || typeof method !== "string") return value;
              return (...args: unknown[]) => {
                calls.push({ collection: name, method, args });
                return value.apply(coll, args);
              };
            },
          });
          collections.set(name, proxy);
        }
        return proxy;
      };
    },
  });
}

/** `explain("executionStats")` of a recorded call, without changing any data. */
export async function explainCall(db: Db, call: RecordedCall): Promise<Document[]> {
  const coll = db.collection(call.collection);
  const [first, second, third] = call.args as [Document, Document | undefined, Document?];
  const verbosity = "executionStats";
  const explainCommand = (command: Document) => db.command({ explain: command, verbosity });
  const update = (q: Document, u: Document, multi: boolean, upsert = false) =>
    explainCommand({
      update: call.collection,
      updates: [{ q, u, multi, upsert, collation: COLLATION }],
    });
  switch (call.method) {
    case "find":
      return [await coll.find(first, second).explain(verbosity)];
    case "findOne":
      return [await coll.find(first, { ...second, limit: 1 }).explain(verbosity)];
    case "countDocuments":
      return [
        await coll
          .aggregate([{ $match: first }, { $group: { _id: 1, n: { $sum: 1 } } }], {
            collation: COLLATION,
          })
          .explain(verbosity),
      ];
    case "aggregate":
      return [await coll.aggregate(first as unknown as Document[], second).explain(verbosity)];
    case "updateOne":
    case "updateMany":
      return [await update(first, second!, call.method === "updateMany", third?.upsert === true)];
    case "bulkWrite":
      return Promise.all(
        (first as unknown as Document[])
          .slice(0, 3)
          .map((op) => update(op.updateOne.filter, op.updateOne.update, false)),
      );
    case "findOneAndUpdate":
      return [
        await explainCommand({
          findAndModify: call.collection,
          query: first,
          update: second,
          upsert: third?.upsert === true,
          collation: COLLATION,
        }),
      ];
    case "deleteOne":
    case "deleteMany":
      return [
        await explainCommand({
          delete: call.collection,
          deletes: [{ q: first, limit: call.method === "deleteOne" ? 1 : 0, collation: COLLATION }],
        }),
      ];
    default:
      return [];
  }
}

const isPlain = (value: unknown): value is Document =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** The stage names of every winning plan in an explain output (per shard on a mongos). */
export function winningStages(explain: Document): string[] {
  const stages: string[] = [];
  const visit = (node: unknown, inPlan: boolean): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, inPlan);
      return;
    }
    if (!isPlain(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "rejectedPlans" || key === "allPlansExecution" || key === "slotBasedPlan") {
        continue;
      }
      if (inPlan && key === "stage" && typeof value === "string") stages.push(value);
      visit(value, inPlan || key === "winningPlan");
    }
  };
  visit(explain, false);
  return stages;
}

/** How many shards a mongos sent the statement to (1 on a replica set). */
export function shardsTargeted(explain: Document): number {
  const shards = (explain.queryPlanner as Document | undefined)?.winningPlan?.shards;
  return Array.isArray(shards) ? shards.length : 1;
}
