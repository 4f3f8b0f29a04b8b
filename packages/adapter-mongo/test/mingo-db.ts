/**
 * An in-process stand-in for the slice of the driver's `Db`/`Collection`/cursor API the store
 * uses, so CI runs the store's real filter, update, sort and aggregation documents without a
 * server: mingo evaluates every document. It is deliberately no bigger than the store's use,
 * and it refuses what mongod refuses (`server-rules.ts`): NUL in `$regex` and patterns over PCRE2's size cap, documents and
 * `$group`/`$facet` outputs over 16 MiB, TTL values out of range and, for a collection declared
 * sharded, single-document writes that do not name the whole shard key.
 *
 * Fidelity notes:
 * - Each operation yields one event-loop turn, then runs synchronously: operations interleave
 *   like concurrent requests, and each one is atomic, as a single-document write is on MongoDB.
 * - Unique indexes (with partial filters) are enforced with an E11000-style error (code 11000).
 * - Options the store passes for the server (collation, read/write concern) are ignored: mingo
 *   compares strings by UTF-16 code unit, which equals the simple collation's code point order
 *   except between astral characters and U+E000–U+FFFF. TTL deletion is not emulated.
 * - Pipelines run one stage at a time, so the size of what each stage builds can be checked.
 * - Stored documents go through BSON, so only what BSON can hold is read back.
 */
import { Aggregator, update as applyUpdate, Query } from "mingo";
import { BSON, type Db, type Document, type IndexDescription, ObjectId } from "mongodb";
import {
  checkDocumentSize,
  checkTtl,
  FakeServerError,
  refuseBadRegex,
  ShardKey,
  steppedDown,
} from "./server-rules.js";

export { FakeServerError } from "./server-rules.js";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Deep copy that keeps the BSON-ish values the store writes (dates, ObjectIds). */
function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (value instanceof ObjectId) return value;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)])) as T;
  }
  return value;
}

/**
 * What the server stores of a document: its size checked, then the document as BSON holds it
 * (a string with half a surrogate pair, say, comes back with U+FFFD in its place).
 */
function stored(doc: Document, what: "insert" | "update"): Document {
  checkDocumentSize(doc, what);
  return BSON.deserialize(BSON.serialize(doc, { ignoreUndefined: false }));
}

/** A copy of `doc` with `projection` applied, as the server returns it. */
const projected = (doc: Document, projection: Document | undefined): Document =>
  projection ? new Query({}).find<Document>([clone(doc)], projection).all()[0]! : clone(doc);

const valueAt = (doc: Document, path: string): unknown =>
  path.split(".").reduce<unknown>((at, part) => (at as Document | null | undefined)?.[part], doc);

interface FindOptions {
  projection?: Document;
  sort?: Record<string, 1 | -1>;
  skip?: number;
  limit?: number;
  /** The name of the index to walk (a server refuses a name no index has). */
  hint?: string;
}

/** Documents per batch: the driver's default first batch (later ones are larger on a server). */
export const CURSOR_BATCH = 101;

/**
 * A find or aggregation cursor: nothing runs until it is first read, then it hands out batches
 * the collection evaluates one at a time, with an event-loop turn between them, so writes land
 * between batches as they do between a server's getMores.
 */
class MingoCursor {
  readonly #batches: () => AsyncGenerator<Document[]>;
  constructor(batches: () => AsyncGenerator<Document[]>) {
    this.#batches = batches;
  }
  async toArray(): Promise<Document[]> {
    const docs: Document[] = [];
    for await (const doc of this) docs.push(doc);
    return docs;
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<Document> {
    for await (const batch of this.#batches()) yield* batch;
  }
}

/** BSON's order of types for the values the store sorts on (null, numbers, strings, ids, dates). */
const typeRank = (value: unknown): number =>
  value === null || value === undefined
    ? 0
    : typeof value === "number"
      ? 1
      : typeof value === "string"
        ? 2
        : value instanceof ObjectId
          ? 7
          : typeof value === "boolean"
            ? 8
            : value instanceof Date
              ? 9
              : 3;

function compareValues(a: unknown, b: unknown): number {
  const rank = typeRank(a) - typeRank(b);
  if (rank !== 0) return Math.sign(rank);
  const [x, y] =
    a instanceof ObjectId
      ? [a.toHexString(), (b as ObjectId).toHexString()]
      : a instanceof Date
        ? [a.getTime(), (b as Date).getTime()]
        : [a as number | string, b as number | string];
  return x === y || x === undefined || x === null ? 0 : x < y ? -1 : 1;
}

/** An index's name: its own, or the one the server generates from its keys (`a_1_b_-1`). */
const indexName = (spec: IndexDescription): string =>
  spec.name ??
  Object.entries(spec.key as Document)
    .map(([path, direction]) => `${path}_${direction}`)
    .join("_");

/** What a server answers a hint that names no index. */
const noSuchIndex = () =>
  new FakeServerError(
    "error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index",
    2,
    { codeName: "BadValue" },
  );

/** The paths a filter holds to one value (`{ a: v }`, `{ a: { $eq: v } }`, also inside `$and`). */
function pinnedPaths(filter: Document, into = new Set<string>()): Set<string> {
  for (const [path, condition] of Object.entries(filter)) {
    if (path === "$and" && Array.isArray(condition)) {
      for (const part of condition) pinnedPaths(part as Document, into);
    } else if (!path.startsWith("$")) {
      const value =
        condition !== null && typeof condition === "object" && Object.hasOwn(condition, "$eq")
          ? (condition as Document).$eq
          : condition;
      if (value === null || typeof value !== "object") into.add(path);
    }
  }
  return into;
}

/** Compares two documents by a sort, then by `_id`: the order an index walk hands them out in. */
const byKey =
  (sort: Record<string, 1 | -1>) =>
  (a: Document, b: Document): number => {
    for (const [path, direction] of Object.entries(sort)) {
      const order = compareValues(valueAt(a, path), valueAt(b, path));
      if (order !== 0) return order * direction;
    }
    return compareValues(a._id, b._id);
  };

interface StoredIndex {
  spec: IndexDescription;
  fields: string[];
  partial: Query | null;
}

/** Sees every operation: its method and arguments (filter, update or pipeline, then options). */
export type CallObserver = (collection: string, method: string, args: unknown[]) => void;

export interface MingoDbOptions {
  observe?: CallObserver;
  /**
   * Collections to treat as sharded, by name, with their shard key: single-document writes and
   * upserts must then pin the whole key, and unique indexes must start with it.
   */
  shardKeys?: Record<string, Record<string, 1 | "hashed">>;
  /** What a replica set or a sharded cluster does to writes that a single mongod never does. */
  faults?: ClusterFaults;
}

/** Faults of a cluster, each off unless asked for; the object is shared and may be changed later. */
export interface ClusterFaults {
  /**
   * Documents of a chunk being migrated: the first multi-document write (updateMany,
   * deleteMany) skips them, as a multi-write racing a chunk migration can (SERVER-20361,
   * TOOLS-3431); later writes see them.
   */
  migratingChunk?: (doc: Document) => boolean;
  /**
   * How many of the next writes (updateMany, deleteMany, bulkWrite) apply half of what they
   * match, then fail as a primary going away does (`steppedDown`: code 91, retryable label).
   */
  stepDowns?: number;
  /**
   * Recurring stepdowns, for whole suites: every `stepDownEvery`-th write (updateMany,
   * deleteMany, bulkWrite; counted across the database) applies half of what it matches, then
   * fails as `stepDowns` does.
   */
  stepDownEvery?: number;
  /**
   * Recurring migrations, for whole suites: every `every`-th multi-document write (updateMany,
   * deleteMany) skips the documents of `chunk`, as one racing a chunk migration can.
   */
  migrationEvery?: { every: number; chunk: (doc: Document) => boolean };
  /**
   * Writes apply on the primary but no majority acknowledges them (secondaries lagging or
   * down): every write (insert, update, replace, delete, upsert, bulk; one that changed nothing
   * too) waits for its write concern's `wtimeoutMS` (its own or its collection's), then fails
   * with WriteConcernTimeout (64); with none it never settles.
   */
  unacknowledged?: boolean;
  /**
   * Reads take longer than any budget (a cold cache, a lock): a read with `maxTimeMS` fails
   * with MaxTimeMSExpired (50) once that much time passed; one without never settles.
   */
  stalledReads?: boolean;
  /**
   * How far the server's clock runs ahead of this process's (negative: behind), in ms: what
   * `hello` reports as `localTime`.
   */
  serverClockAheadMs?: number;
}

const never = () => new Promise<never>(() => {});
const after = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * What of a write's matches the fault rules let it apply, and whether it then fails: a
 * multi-write (`isMulti`) skips a migrating chunk's documents once, and a write cut short by a
 * stepdown applies the first half.
 */
function faultedWrite<T extends Document>(
  faults: ClusterFaults,
  matched: T[],
  isMulti: boolean,
): { apply: T[]; stepDown: boolean } {
  const counts = faultCounts.get(faults) ?? { writes: 0, multiWrites: 0 };
  faultCounts.set(faults, counts);
  counts.writes += 1;
  if (isMulti) counts.multiWrites += 1;
  let apply = matched;
  let moving = isMulti ? faults.migratingChunk : undefined;
  if (moving) faults.migratingChunk = undefined;
  const recurring = faults.migrationEvery;
  if (isMulti && recurring && counts.multiWrites % recurring.every === 0) moving = recurring.chunk;
  if (moving) apply = apply.filter((doc) => !moving(doc));
  const every = faults.stepDownEvery;
  const stepDown =
    (faults.stepDowns ?? 0) > 0 || (every !== undefined && counts.writes % every === 0);
  if (!stepDown) return { apply, stepDown: false };
  if ((faults.stepDowns ?? 0) > 0) faults.stepDowns = (faults.stepDowns ?? 0) - 1;
  return { apply: apply.slice(0, Math.ceil(apply.length / 2)), stepDown: true };
}

/** How many faultable writes each fault set has seen, for the recurring rules. */
const faultCounts = new WeakMap<ClusterFaults, { writes: number; multiWrites: number }>();

/** The stages an update may be a pipeline of (MongoDB 4.2+). */
const UPDATE_STAGES = new Set([
  "$addFields",
  "$set",
  "$project",
  "$unset",
  "$replaceRoot",
  "$replaceWith",
]);

/** A document after an update pipeline; `_id` stays what it was, as on a server. */
function pipelineUpdated(doc: Document, pipeline: Document[]): Document {
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0] ?? "";
    if (Object.keys(stage).length !== 1 || !UPDATE_STAGES.has(name)) {
      throw new FakeServerError(`${name} is not allowed to be used within an update`, 72, {
        codeName: "InvalidOptions",
      });
    }
  }
  refuseBadRegex(pipeline);
  const [next] = new Aggregator(pipeline).run([doc]) as Document[];
  return { ...next, _id: doc._id };
}

/** Runs a pipeline stage by stage, refusing what a stage may not build (see `checkDocumentSize`). */
function runPipeline(pipeline: Document[], input: Document[]): Document[] {
  refuseBadRegex(pipeline);
  let docs = input;
  for (const stage of pipeline) {
    docs = new Aggregator([stage]).run(docs) as Document[];
    const name = Object.keys(stage)[0];
    if (name === "$group" || name === "$facet") {
      for (const doc of docs) checkDocumentSize(doc, name);
    }
  }
  for (const doc of docs) checkDocumentSize(doc, "result");
  return docs;
}

class MingoCollection {
  readonly collectionName: string;
  #docs: Document[] = [];
  readonly #indexes = new Map<string, StoredIndex>();
  readonly #observe: CallObserver;
  readonly #shardKey: ShardKey | null;
  readonly #faults: ClusterFaults;
  readonly #wtimeoutMS: number | undefined;

  constructor(
    name: string,
    observe: CallObserver,
    shardKey: ShardKey | null,
    faults: ClusterFaults,
    options: { writeConcern?: { wtimeoutMS?: number } },
  ) {
    this.collectionName = name;
    this.#observe = observe;
    this.#shardKey = shardKey;
    this.#faults = faults;
    this.#wtimeoutMS = options.writeConcern?.wtimeoutMS;
  }

  /** A write's wait for its write concern, under the `unacknowledged` fault. */
  async #acknowledged(options: unknown): Promise<void> {
    if (!this.#faults.unacknowledged) return;
    const own = (options as { writeConcern?: { wtimeoutMS?: number } } | undefined)?.writeConcern;
    const wtimeoutMS = own?.wtimeoutMS ?? this.#wtimeoutMS;
    if (wtimeoutMS === undefined) return never();
    await after(wtimeoutMS);
    throw new FakeServerError("waiting for replication timed out", 64, {
      codeName: "WriteConcernTimeout",
      errInfo: { wtimeout: true },
    });
  }

  /** A read's answer, under the `stalledReads` fault. */
  async #answered(options: unknown): Promise<void> {
    if (!this.#faults.stalledReads) return;
    const maxTimeMS = (options as { maxTimeMS?: number } | undefined)?.maxTimeMS;
    if (maxTimeMS === undefined) return never();
    await after(maxTimeMS);
    throw new FakeServerError("operation exceeded time limit", 50, {
      codeName: "MaxTimeMSExpired",
    });
  }

  /** Records the call and checks what every filter must satisfy. */
  #received(method: string, args: unknown[]): void {
    this.#observe(this.collectionName, method, args);
    refuseBadRegex(args);
  }

  #singleWrite(method: string, filter: Document, upsert = false): void {
    if (this.#shardKey)
      this.#shardKey.checkSingleWrite(upsert ? `${method} (upsert)` : method, filter);
  }

  async insertOne(doc: Document, ...options: unknown[]) {
    this.#observe(this.collectionName, "insertOne", [doc, ...options]);
    await nextTurn();
    // Like the driver, assign a client-side ObjectId to the caller's document.
    doc._id ??= new ObjectId();
    const copy = stored(doc, "insert");
    this.#checkUnique(copy, -1);
    this.#docs.push(copy);
    await this.#acknowledged(options[0]);
    return { acknowledged: true, insertedId: doc._id };
  }

  async findOne(filter: Document, options: FindOptions = {}) {
    this.#received("findOne", [filter, options]);
    await nextTurn();
    await this.#answered(options);
    return this.#select(filter, { ...options, limit: 1 })[0] ?? null;
  }

  find(filter: Document, options: FindOptions = {}) {
    // Like the driver's cursors, a refusal surfaces when the cursor is first read.
    this.#observe(this.collectionName, "find", [filter, options]);
    return new MingoCursor(() => this.#findBatches(filter, options));
  }

  async countDocuments(filter: Document, options: { skip?: number; limit?: number } = {}) {
    this.#received("countDocuments", [filter, options]);
    await nextTurn();
    await this.#answered(options);
    return this.#select(filter, { skip: options.skip, limit: options.limit }).length;
  }

  aggregate(pipeline: Document[], ...options: unknown[]) {
    this.#observe(this.collectionName, "aggregate", [pipeline, ...options]);
    const docs = this.#docs;
    const answered = () => this.#answered(options[0]);
    const hint = (options[0] as { hint?: string } | undefined)?.hint;
    const indexes = this.#indexes;
    // A pipeline that sorts or groups has read its whole input before its first batch.
    return new MingoCursor(async function* () {
      await nextTurn();
      refuseBadRegex(pipeline);
      if (hint !== undefined && !indexes.has(hint)) throw noSuchIndex();
      await answered();
      const rows = runPipeline(pipeline, docs.map(clone));
      for (let at = 0; at < rows.length; at += CURSOR_BATCH) {
        if (at > 0) await nextTurn();
        yield rows.slice(at, at + CURSOR_BATCH);
      }
    });
  }

  async updateOne(filter: Document, update: Document, options: { upsert?: boolean } = {}) {
    this.#received("updateOne", [filter, update, options]);
    this.#singleWrite("updateOne", filter, options.upsert === true);
    await nextTurn();
    const result = this.#updateOne(filter, update, options.upsert === true);
    await this.#acknowledged(options);
    return result;
  }

  async replaceOne(filter: Document, replacement: Document, options: { upsert?: boolean } = {}) {
    this.#received("replaceOne", [filter, replacement, options]);
    this.#singleWrite("replaceOne", filter, options.upsert === true);
    await nextTurn();
    const index = this.#indexOf(filter);
    if (index >= 0) {
      const next = stored({ ...replacement, _id: this.#docs[index]!._id }, "update");
      this.#checkUnique(next, index);
      this.#docs[index] = next;
    }
    await this.#acknowledged(options);
    const matched = index >= 0 ? 1 : 0;
    return { acknowledged: true, matchedCount: matched, modifiedCount: matched };
  }

  async updateMany(filter: Document, update: Document, ...options: unknown[]) {
    this.#received("updateMany", [filter, update, ...options]);
    await nextTurn();
    const query = new Query(filter);
    const { apply, stepDown } = faultedWrite(
      this.#faults,
      this.#docs.filter((doc) => query.test(doc)),
      true,
    );
    const applying = new Set(apply);
    this.#docs = this.#docs.map((doc, index) =>
      applying.has(doc) ? this.#updated(doc, update, index) : doc,
    );
    if (stepDown) throw steppedDown();
    await this.#acknowledged(options[0]);
    return { acknowledged: true, matchedCount: apply.length, modifiedCount: apply.length };
  }

  async findOneAndUpdate(
    filter: Document,
    update: Document,
    options: { returnDocument?: "before" | "after"; projection?: Document; upsert?: boolean } = {},
  ) {
    this.#received("findOneAndUpdate", [filter, update, options]);
    this.#singleWrite("findOneAndUpdate", filter, options.upsert === true);
    await nextTurn();
    const index = this.#indexOf(filter);
    if (index < 0) {
      const inserted = options.upsert ? this.#upsert(filter, update) : null;
      // Even a write that changed nothing waits for its write concern.
      await this.#acknowledged(options);
      return inserted && options.returnDocument === "after"
        ? projected(inserted, options.projection)
        : null;
    }
    const before = this.#docs[index]!;
    const updated = this.#updated(before, update, index);
    this.#docs[index] = updated;
    await this.#acknowledged(options);
    return projected(options.returnDocument === "after" ? updated : before, options.projection);
  }

  async deleteOne(filter: Document, ...options: unknown[]) {
    this.#received("deleteOne", [filter, ...options]);
    this.#singleWrite("deleteOne", filter);
    await nextTurn();
    const index = this.#indexOf(filter);
    if (index >= 0) this.#docs.splice(index, 1);
    await this.#acknowledged(options[0]);
    return { acknowledged: true, deletedCount: index >= 0 ? 1 : 0 };
  }

  async deleteMany(filter: Document, ...options: unknown[]) {
    this.#received("deleteMany", [filter, ...options]);
    await nextTurn();
    const query = new Query(filter);
    const { apply, stepDown } = faultedWrite(
      this.#faults,
      this.#docs.filter((doc) => query.test(doc)),
      true,
    );
    const deleting = new Set(apply);
    this.#docs = this.#docs.filter((doc) => !deleting.has(doc));
    if (stepDown) throw steppedDown();
    await this.#acknowledged(options[0]);
    return { acknowledged: true, deletedCount: apply.length };
  }

  /** `updateOne` and `deleteOne` models: the kinds the store sends. */
  async bulkWrite(operations: Document[], ...options: unknown[]) {
    this.#received("bulkWrite", [operations, ...options]);
    for (const operation of operations) {
      const [kind, model] = Object.entries(operation)[0] ?? [];
      if ((kind !== "updateOne" && kind !== "deleteOne") || Object.keys(operation).length !== 1) {
        throw new FakeServerError(
          "the in-process db supports only updateOne and deleteOne in bulkWrite",
          2,
        );
      }
      const { filter, upsert } = model as Document;
      this.#singleWrite(kind, filter, upsert === true);
    }
    await nextTurn();
    const { apply, stepDown } = faultedWrite(this.#faults, operations, false);
    let matchedCount = 0;
    let deletedCount = 0;
    for (const operation of apply) {
      if (operation.deleteOne) {
        const index = this.#indexOf(operation.deleteOne.filter);
        if (index >= 0) this.#docs.splice(index, 1);
        deletedCount += index >= 0 ? 1 : 0;
        continue;
      }
      const model = operation.updateOne as Document;
      matchedCount += this.#updateOne(model.filter, model.update, false).matchedCount;
    }
    if (stepDown) throw steppedDown();
    await this.#acknowledged(options[0]);
    return { ok: 1, matchedCount, modifiedCount: matchedCount, deletedCount };
  }

  async createIndexes(specs: IndexDescription[], ...options: unknown[]) {
    this.#received("createIndexes", [specs, ...options]);
    for (const spec of specs) {
      checkTtl(spec.expireAfterSeconds, "createIndexes");
      this.#shardKey?.checkUniqueIndex(spec as { key: Document; unique?: boolean });
    }
    await nextTurn();
    // The command builds all of its indexes or none: every conflict is found before any build.
    const fresh = specs.filter((spec) => this.#conflictOf(spec) === null);
    for (const spec of specs) {
      const conflict = this.#conflictOf(spec);
      if (conflict !== null && conflict !== "same") throw conflict;
    }
    for (const spec of fresh) {
      this.#indexes.set(indexName(spec), {
        spec,
        fields: Object.keys(spec.key as Document),
        partial: spec.partialFilterExpression ? new Query(spec.partialFilterExpression) : null,
      });
    }
    return specs.map((spec) => spec.name ?? "");
  }

  /**
   * What mongod says of an index it is asked to create: nothing (`null`, a new one), `"same"`
   * (it exists as asked: a no-op), or its refusal. The same name with other keys is
   * IndexKeySpecsConflict (86); the same name and keys with other options, or the same keys,
   * collation and partial filter under another name, is IndexOptionsConflict (85).
   */
  #conflictOf(spec: IndexDescription): FakeServerError | "same" | null {
    const name = indexName(spec);
    const existing = this.#indexes.get(name);
    const shown = (index: IndexDescription) => JSON.stringify(index);
    if (existing) {
      if (JSON.stringify(existing.spec.key) !== JSON.stringify(spec.key)) {
        return new FakeServerError(
          `An existing index has the same name as the requested index. Requested index: ${shown(spec)}, existing index: ${shown(existing.spec)}`,
          86,
          { codeName: "IndexKeySpecsConflict" },
        );
      }
      if (shown(existing.spec) !== shown(spec)) {
        return new FakeServerError(
          `An equivalent index already exists with the same name but different options. Requested index: ${shown(spec)}, existing index: ${shown(existing.spec)}`,
          85,
          { codeName: "IndexOptionsConflict" },
        );
      }
      return "same";
    }
    const sameShape = (index: IndexDescription) =>
      JSON.stringify([index.key, index.collation ?? null, index.partialFilterExpression ?? null]);
    for (const [other, index] of this.#indexes) {
      if (sameShape(index.spec) === sameShape(spec)) {
        return new FakeServerError(
          `Index already exists with a different name: ${other}. Requested index: ${shown(spec)}`,
          85,
          { codeName: "IndexOptionsConflict" },
        );
      }
    }
    return null;
  }

  async dropIndex(name: string, ...options: unknown[]) {
    this.#received("dropIndex", [name, ...options]);
    await nextTurn();
    if (!this.#indexes.delete(name)) {
      throw new FakeServerError(`index not found with name [${name}]`, 27, {
        codeName: "IndexNotFound",
      });
    }
    return { ok: 1 };
  }

  /** What `collMod` changes on a TTL index. */
  setExpireAfterSeconds(name: string, seconds: number): void {
    checkTtl(seconds, "collMod");
    const index = this.#indexes.get(name);
    if (!index || index.spec.expireAfterSeconds === undefined) {
      throw new FakeServerError(`cannot find TTL index ${name}`, 27, { codeName: "IndexNotFound" });
    }
    index.spec = { ...index.spec, expireAfterSeconds: seconds };
  }

  /** The index specifications, for tests of `ensureIndexes`. */
  indexSpecs(): IndexDescription[] {
    return [...this.#indexes.values()].map((index) => index.spec);
  }

  /** Stores documents as they are, bypassing the driver surface: for tests that need volume. */
  seed(docs: readonly Document[]): void {
    for (const doc of docs) this.#docs.push(stored({ _id: new ObjectId(), ...doc }, "insert"));
  }

  /**
   * A find's batches, each evaluated against the documents as they are when it is read: past
   * the sort position of the last document handed out, as an index walk resumes. A document
   * whose sort key moves past that position while the cursor is open is handed out again, one
   * that moves behind it is missed, and one written since is seen: what a non-snapshot cursor
   * on a server does.
   *
   * With a `hint`, the walk follows the hinted index's keys instead. When that order is not the
   * sort's (nor its reverse), the server sorts in a blocking stage: it walks the index the same
   * way, batch by batch with turns between (a server yields there too), reads it to the end,
   * and only then sorts and hands out the result.
   */
  async *#findBatches(filter: Document, options: FindOptions): AsyncGenerator<Document[]> {
    await nextTurn();
    refuseBadRegex(filter);
    await this.#answered(options);
    const query = new Query(filter);
    const sort = options.sort ?? {};
    const walk =
      options.hint === undefined
        ? { order: sort, blocking: false }
        : this.#hintedWalk(options.hint, sort, filter);
    const project = (rows: Document[]) =>
      options.projection ? new Query({}).find<Document>(rows, options.projection).all() : rows;
    if (walk.blocking) {
      const read: Document[] = [];
      for await (const batch of this.#walk(query, walk.order, 0, Number.POSITIVE_INFINITY)) {
        read.push(...batch);
      }
      const end = (options.skip ?? 0) + (options.limit || Number.POSITIVE_INFINITY);
      const rows = read.sort(byKey(sort)).slice(options.skip ?? 0, end);
      for (let at = 0; at < rows.length; at += CURSOR_BATCH) {
        if (at > 0) await nextTurn();
        yield project(rows.slice(at, at + CURSOR_BATCH));
      }
      return;
    }
    for await (const batch of this.#walk(
      query,
      walk.order,
      options.skip ?? 0,
      options.limit || Number.POSITIVE_INFINITY,
    )) {
      yield project(batch);
    }
  }

  /**
   * The order a hinted find walks in, and whether a sort stage follows: the index's keys (or
   * their reverse, when the sort asks for that), after which the sort must already hold.
   */
  #hintedWalk(
    hint: string,
    sort: Record<string, 1 | -1>,
    filter: Document,
  ): { order: Record<string, 1 | -1>; blocking: boolean } {
    const index = this.#indexes.get(hint);
    if (!index) throw noSuchIndex();
    const all = Object.entries(index.spec.key as Record<string, 1 | -1>);
    // Leading keys the filter pins to one value do not order anything.
    const pinned = pinnedPaths(filter);
    let first = 0;
    while (first < all.length && pinned.has(all[first]![0]) && !Object.hasOwn(sort, all[first]![0]))
      first++;
    const key = all.slice(first);
    const wanted = Object.entries(sort);
    const served = (sign: 1 | -1) =>
      wanted.every(([path, direction], at) => {
        const indexed = key[at];
        return indexed !== undefined && indexed[0] === path && indexed[1] * sign === direction;
      });
    const reversed = wanted.length > 0 && !served(1) && served(-1);
    const order = Object.fromEntries(
      all.map(([path, direction]) => [path, reversed ? -direction : direction]),
    ) as Record<string, 1 | -1>;
    return { order, blocking: wanted.length > 0 && !served(1) && !served(-1) };
  }

  /** An index walk in `order`, batch by batch, each batch read as the documents are then. */
  async *#walk(
    query: Query,
    sort: Record<string, 1 | -1>,
    skipped: number,
    limit: number,
  ): AsyncGenerator<Document[]> {
    const order = byKey(sort);
    let last: Document | null = null;
    let skip = skipped;
    let left = limit;
    while (left > 0) {
      const after: Document | null = last;
      const rest: Document[] = this.#docs
        .filter((doc) => query.test(doc) && (after === null || order(doc, after) > 0))
        .sort(order);
      const end = skip + Math.min(CURSOR_BATCH, left);
      const batch: Document[] = rest.slice(skip, end);
      skip = 0;
      if (batch.length === 0) return;
      last = batch[batch.length - 1]!;
      left -= batch.length;
      yield batch.map(clone);
      if (rest.length <= end) return;
      await nextTurn();
    }
  }

  #indexOf(filter: Document): number {
    const query = new Query(filter);
    return this.#docs.findIndex((doc) => query.test(doc));
  }

  #select(filter: Document, options: FindOptions): Document[] {
    let cursor = new Query(filter).find<Document>(this.#docs);
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit) cursor = cursor.limit(options.limit);
    const rows = cursor.all().map(clone);
    // MongoDB projects after sorting, so the projection may drop the sort fields.
    return options.projection ? new Query({}).find<Document>(rows, options.projection).all() : rows;
  }

  #updateOne(filter: Document, update: Document, upsert: boolean) {
    const index = this.#indexOf(filter);
    if (index >= 0) {
      this.#docs[index] = this.#updated(this.#docs[index]!, update, index);
      return { acknowledged: true, matchedCount: 1, modifiedCount: 1, upsertedCount: 0 };
    }
    if (!upsert) return { acknowledged: true, matchedCount: 0, modifiedCount: 0, upsertedCount: 0 };
    this.#upsert(filter, update);
    return { acknowledged: true, matchedCount: 0, modifiedCount: 0, upsertedCount: 1 };
  }

  /** An upsert starts from the filter's equality fields, as the server does. */
  #upsert(filter: Document, update: Document): Document {
    const seed: Document = {};
    for (const [key, value] of Object.entries(filter)) {
      if (!key.startsWith("$") && (value === null || typeof value !== "object")) seed[key] = value;
    }
    seed._id ??= new ObjectId();
    const inserted = this.#updated(seed, update, -1);
    this.#docs.push(inserted);
    return inserted;
  }

  /** The document after `update`, checked for size and against the unique indexes. */
  #updated(doc: Document, update: Document | Document[], index: number): Document {
    let next = clone(doc);
    if (Array.isArray(update)) next = pipelineUpdated(next, update);
    else applyUpdate(next, update);
    const copy = stored(next, "update");
    this.#checkUnique(copy, index);
    return copy;
  }

  #checkUnique(doc: Document, replacing: number): void {
    for (const [name, index] of this.#indexes) {
      if (!index.spec.unique || (index.partial && !index.partial.test(doc))) continue;
      const key = JSON.stringify(index.fields.map((field) => valueAt(doc, field) ?? null));
      const clash = this.#docs.some(
        (other, at) =>
          at !== replacing &&
          (!index.partial || index.partial.test(other)) &&
          JSON.stringify(index.fields.map((field) => valueAt(other, field) ?? null)) === key,
      );
      if (clash) {
        const keyValue = Object.fromEntries(index.fields.map((f) => [f, valueAt(doc, f) ?? null]));
        throw new FakeServerError(
          `E11000 duplicate key error collection: mingo.${this.collectionName} index: ${name} dup key: ${JSON.stringify(keyValue)}`,
          11000,
          { codeName: "DuplicateKey", keyPattern: index.spec.key, keyValue },
        );
      }
    }
  }
}

/** The in-process database: `collection()` and the commands the store sends (`collMod`, `hello`). */
class MingoDb {
  readonly databaseName = "mingo";
  readonly #collections = new Map<string, MingoCollection>();
  readonly #observe: CallObserver;
  readonly #shardKeys: Record<string, Record<string, 1 | "hashed">>;
  readonly #faults: ClusterFaults;

  constructor(options: MingoDbOptions) {
    this.#observe = options.observe ?? (() => {});
    this.#shardKeys = options.shardKeys ?? {};
    this.#faults = options.faults ?? {};
  }

  collection(name: string, options: { writeConcern?: { wtimeoutMS?: number } } = {}) {
    let collection = this.#collections.get(name);
    if (!collection) {
      const key = Object.hasOwn(this.#shardKeys, name) ? this.#shardKeys[name] : undefined;
      collection = new MingoCollection(
        name,
        this.#observe,
        key ? new ShardKey(name, key) : null,
        this.#faults,
        options,
      );
      this.#collections.set(name, collection);
    }
    return collection;
  }

  async command(command: Document) {
    this.#observe("", "command", [command]);
    await nextTurn();
    if (command.hello === 1 && Object.keys(command).length === 1) {
      return {
        isWritablePrimary: true,
        localTime: new Date(Date.now() + (this.#faults.serverClockAheadMs ?? 0)),
        maxWireVersion: 21,
        ok: 1,
      };
    }
    const { collMod, index } = command as { collMod?: string; index?: Document };
    if (typeof collMod !== "string" || !index) {
      throw new FakeServerError(
        `the in-process db runs only collMod and hello, got ${Object.keys(command)[0]}`,
        59,
      );
    }
    this.collection(collMod).setExpireAfterSeconds(index.name, index.expireAfterSeconds);
    return { ok: 1 };
  }
}

/**
 * A `Db` whose collections keep documents in memory and evaluate every document the store
 * sends with mingo, refusing what a real server refuses.
 */
export function createMingoDb(options: MingoDbOptions = {}): Db {
  return new MingoDb(options) as unknown as Db;
}

const collectionOf = (db: Db, name: string) => db.collection(name) as unknown as MingoCollection;

/** The index specifications of a collection of a `createMingoDb` database. */
export function mingoIndexSpecs(db: Db, collection: string): IndexDescription[] {
  return collectionOf(db, collection).indexSpecs();
}

/** Stores documents directly in a collection of a `createMingoDb` database (volume for tests). */
export function seedMingoCollection(db: Db, collection: string, docs: readonly Document[]): void {
  collectionOf(db, collection).seed(docs);
}
