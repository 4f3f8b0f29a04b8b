/**
 * Every hot path's driver calls fit one declared index (`plan-shape.ts`): recorded on the
 * in-process collection through its observer, checked against the index list `ensureIndexes`
 * creates. A query no index can serve without a collection scan or an in-memory sort fails here,
 * in CI; the real-server lane (`explain.test.ts`) asks MongoDB itself.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createMongoStore, type MongoSessionStore } from "../src/index.js";
import { SESSION_INDEXES, TASK_INDEXES, TASK_OUTCOME_INDEXES } from "../src/indexes.js";
import { type CollectionKey, HOT_PATHS, seedSessions } from "./hot-paths.js";
import { createMingoDb } from "./mingo-db.js";
import { type Access, accessesOf, coveredBy, type DeclaredIndex, fitIndex } from "./plan-shape.js";

const ID_INDEX: DeclaredIndex = { name: "_id_", key: { _id: 1 } };
const DECLARED: Partial<Record<CollectionKey, readonly DeclaredIndex[]>> = {
  sessions: SESSION_INDEXES,
  tasks: TASK_INDEXES,
  taskOutcomes: TASK_OUTCOME_INDEXES,
};

describe("plan shapes: each hot path reads through one declared index", () => {
  const recorded: Access[] = [];
  let store: MongoSessionStore;
  let keyOf: Map<string, CollectionKey>;

  beforeAll(async () => {
    store = createMongoStore({
      db: createMingoDb({
        observe: (collection, method, args) =>
          recorded.push(...accessesOf(collection, method, args)),
      }),
    });
    keyOf = new Map(
      Object.entries(store.collectionNames).map(([key, name]) => [name, key as CollectionKey]),
    );
    await store.ensureIndexes();
    await seedSessions(store, 400);
  });

  for (const path of HOT_PATHS) {
    it(path.name, async () => {
      recorded.length = 0;
      await path.run(store);
      const calls = recorded.map((access) => ({ ...access, key: keyOf.get(access.collection)! }));
      expect(calls.map((call) => `${call.key}.${call.method}`)).toEqual(
        path.calls.map((call) => `${call.collection}.${call.method}`),
      );
      for (const [i, call] of calls.entries()) {
        const planned = path.calls[i]!;
        const index = [ID_INDEX, ...(DECLARED[call.key] ?? [])].find(
          (declared) => declared.name === planned.index,
        );
        const context = `${call.key}.${call.method} ${JSON.stringify(call.filters[0])} sort ${JSON.stringify(call.sort ?? null)}`;
        expect(index, `no index named ${planned.index} is declared: ${context}`).toBeDefined();
        const fit = fitIndex(call, index!);
        expect(fit.ok ? "fits" : fit.reason, `${planned.index} for ${context}`).toBe("fits");
        if (fit.ok && planned.bounds)
          expect(fit.bounds, `bounds of ${context}`).toEqual(planned.bounds);
        if (planned.covered) {
          const cover = coveredBy(call, index!);
          expect(cover.ok ? "covered" : cover.reason, `cover of ${context}`).toBe("covered");
        }
      }
    });
  }
});
