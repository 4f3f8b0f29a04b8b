/**
 * An in-process stand-in for the slice of the driver's `Db`/`Collection`/cursor API the store
 * uses, so CI runs the store's real filter, update, sort and aggregation documents without a
 * server: mingo evaluates every document. It is deliberately no bigger than the store's use.
 *
 * Fidelity notes:
 * - Each operation yields one event-loop turn, then runs synchronously: operations interleave
 *   like concurrent requests, and each one is atomic, as a single-document write is on MongoDB.
 * - Unique indexes (with partial filters) are enforced with an E11000-style error (code 11000).
 * - Options the store passes for the server (collation, read/write concern) are ignored: mingo
 *   compares strings by UTF-16 code unit, which equals the simple collation's code point order
 *   except between astral characters and U+E000–U+FFFF. TTL deletion is not emulated.
 */
import { Aggregator, update as applyUpdate, Query } from "mingo";
import { type Db, type Document, type IndexDescription, ObjectId } from "mongodb";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Shaped like the driver's `MongoServerError`: a `code` plus the details the server sends. */
export class FakeServerError extends Error {
  override name = "MongoServerError";
  readonly code: number;
  constructor(message: string, code: number, details: Document = {}) {
    super(message);
    this.code = code;
    Object.assign(this, details);
  }
}

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

const valueAt = (doc: Document, path: string): unknown =>
  path.split(".").reduce<unknown>((at, part) => (at as Document | null | undefined)?.[part], doc);

interface FindOptions {
  projection?: Document;
  sort?: Record<string, 1 | -1>;
  skip?: number;
  limit?: number;
}

/** A find or aggregation cursor: evaluated when first read, like the driver's lazy cursors. */
class MingoCursor {
  readonly #run: () => Document[];
  constructor(run: () => Document[]) {
    this.#run = run;
  }
  async toArray(): Promise<Document[]> {
    await nextTurn();
    return this.#run();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<Document> {
    await nextTurn();
    for (const doc of this.#run()) yield doc;
  }
}

interface StoredIndex {
  spec: IndexDescription;
  fields: string[];
  partial: Query | null;
}

export type CallObserver = (collection: string, method: string, args: unknown[]) => void;

class MingoCollection {
  readonly collectionName: string;
  #docs: Document[] = [];
  readonly #indexes = new Map<string, StoredIndex>();
  readonly #observe: CallObserver;

  constructor(name: string, observe: CallObserver) {
    this.collectionName = name;
    this.#observe = observe;
  }

  async insertOne(doc: Document, ..._options: unknown[]) {
    this.#observe(this.collectionName, "insertOne", [doc]);
    await nextTurn();
    // Like the driver, assign a client-side ObjectId to the caller's document.
    doc._id ??= new ObjectId();
    const stored = clone(doc);
    this.#checkUnique(stored, -1);
    this.#docs.push(stored);
    return { acknowledged: true, insertedId: doc._id };
  }

  async findOne(filter: Document, options: FindOptions = {}) {
    this.#observe(this.collectionName, "findOne", [filter]);
    await nextTurn();
    return this.#select(filter, { ...options, limit: 1 })[0] ?? null;
  }

  find(filter: Document, options: FindOptions = {}) {
    this.#observe(this.collectionName, "find", [filter, options]);
    return new MingoCursor(() => this.#select(filter, options));
  }

  async countDocuments(filter: Document, options: { skip?: number; limit?: number } = {}) {
    this.#observe(this.collectionName, "countDocuments", [filter]);
    await nextTurn();
    return this.#select(filter, { skip: options.skip, limit: options.limit }).length;
  }

  aggregate(pipeline: Document[], ..._options: unknown[]) {
    this.#observe(this.collectionName, "aggregate", [pipeline]);
    return new MingoCursor(() => new Aggregator(pipeline).run(this.#docs.map(clone)));
  }

  async updateOne(filter: Document, update: Document, options: { upsert?: boolean } = {}) {
    this.#observe(this.collectionName, "updateOne", [filter, update]);
    await nextTurn();
    return this.#updateOne(filter, update, options.upsert === true);
  }

  async updateMany(filter: Document, update: Document, ..._options: unknown[]) {
    this.#observe(this.collectionName, "updateMany", [filter, update]);
    await nextTurn();
    const query = new Query(filter);
    let matchedCount = 0;
    const next = this.#docs.map((doc, index) => {
      if (!query.test(doc)) return doc;
      matchedCount++;
      return this.#updated(doc, update, index);
    });
    this.#docs = next;
    return { acknowledged: true, matchedCount, modifiedCount: matchedCount };
  }

  async findOneAndUpdate(
    filter: Document,
    update: Document,
    options: { returnDocument?: "before" | "after"; projection?: Document } = {},
  ) {
    this.#observe(this.collectionName, "findOneAndUpdate", [filter, update]);
    await nextTurn();
    const query = new Query(filter);
    const index = this.#docs.findIndex((doc) => query.test(doc));
    if (index < 0) return null;
    const before = this.#docs[index]!;
    const after = this.#updated(before, update, index);
    this.#docs[index] = after;
    return clone(options.returnDocument === "after" ? after : before);
  }

  async deleteOne(filter: Document, ..._options: unknown[]) {
    this.#observe(this.collectionName, "deleteOne", [filter]);
    await nextTurn();
    const query = new Query(filter);
    const index = this.#docs.findIndex((doc) => query.test(doc));
    if (index >= 0) this.#docs.splice(index, 1);
    return { acknowledged: true, deletedCount: index >= 0 ? 1 : 0 };
  }

  async deleteMany(filter: Document, ..._options: unknown[]) {
    this.#observe(this.collectionName, "deleteMany", [filter]);
    await nextTurn();
    const query = new Query(filter);
    const before = this.#docs.length;
    this.#docs = this.#docs.filter((doc) => !query.test(doc));
    return { acknowledged: true, deletedCount: before - this.#docs.length };
  }

  /** Only `updateOne` models: the only kind the store sends. */
  async bulkWrite(operations: Document[], ..._options: unknown[]) {
    this.#observe(this.collectionName, "bulkWrite", [operations]);
    await nextTurn();
    let matchedCount = 0;
    for (const operation of operations) {
      const model = operation.updateOne as Document | undefined;
      if (!model || Object.keys(operation).length !== 1) {
        throw new FakeServerError("the in-process db supports only updateOne in bulkWrite", 2);
      }
      matchedCount += this.#updateOne(model.filter, model.update, false).matchedCount;
    }
    return { ok: 1, matchedCount, modifiedCount: matchedCount };
  }

  async createIndexes(specs: IndexDescription[], ..._options: unknown[]) {
    this.#observe(this.collectionName, "createIndexes", [specs]);
    await nextTurn();
    for (const spec of specs) {
      const name = spec.name ?? JSON.stringify(spec.key);
      const existing = this.#indexes.get(name);
      if (existing) {
        if (JSON.stringify(existing.spec) !== JSON.stringify(spec)) {
          throw new FakeServerError(
            `Index with name: ${name} already exists with different options`,
            85,
            {
              codeName: "IndexOptionsConflict",
            },
          );
        }
        continue;
      }
      this.#indexes.set(name, {
        spec,
        fields: Object.keys(spec.key as Document),
        partial: spec.partialFilterExpression ? new Query(spec.partialFilterExpression) : null,
      });
    }
    return specs.map((spec) => spec.name ?? "");
  }

  /** What `collMod` changes on a TTL index. */
  setExpireAfterSeconds(name: string, seconds: number): void {
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
    const query = new Query(filter);
    const index = this.#docs.findIndex((doc) => query.test(doc));
    if (index >= 0) {
      this.#docs[index] = this.#updated(this.#docs[index]!, update, index);
      return { acknowledged: true, matchedCount: 1, modifiedCount: 1, upsertedCount: 0 };
    }
    if (!upsert) return { acknowledged: true, matchedCount: 0, modifiedCount: 0, upsertedCount: 0 };
    // An upsert starts from the filter's equality fields, as the server does.
    const seed: Document = {};
    for (const [key, value] of Object.entries(filter)) {
      if (!key.startsWith("$") && (value === null || typeof value !== "object")) seed[key] = value;
    }
    seed._id ??= new ObjectId();
    const inserted = this.#updated(seed, update, -1);
    this.#docs.push(inserted);
    return { acknowledged: true, matchedCount: 0, modifiedCount: 0, upsertedCount: 1 };
  }

  /** The document after `update`, checked against the unique indexes, or a thrown E11000. */
  #updated(doc: Document, update: Document, index: number): Document {
    const next = clone(doc);
    applyUpdate(next, update);
    this.#checkUnique(next, index);
    return next;
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

/** The in-process database: `collection()` and the one command the store sends (`collMod`). */
class MingoDb {
  readonly databaseName = "mingo";
  readonly #collections = new Map<string, MingoCollection>();
  readonly #observe: CallObserver;

  constructor(observe: CallObserver) {
    this.#observe = observe;
  }

  collection(name: string, ..._options: unknown[]): MingoCollection {
    let collection = this.#collections.get(name);
    if (!collection) {
      collection = new MingoCollection(name, this.#observe);
      this.#collections.set(name, collection);
    }
    return collection;
  }

  async command(command: Document) {
    this.#observe("", "command", [command]);
    await nextTurn();
    const { collMod, index } = command as { collMod?: string; index?: Document };
    if (typeof collMod !== "string" || !index) {
      throw new FakeServerError(
        `the in-process db runs only collMod, got ${Object.keys(command)[0]}`,
        59,
      );
    }
    this.collection(collMod).setExpireAfterSeconds(index.name, index.expireAfterSeconds);
    return { ok: 1 };
  }
}

/**
 * A `Db` whose collections keep documents in memory and evaluate every document the store
 * sends with mingo. `observe` sees each operation's filter/update/pipeline documents.
 */
export function createMingoDb(observe: CallObserver = () => {}): Db {
  return new MingoDb(observe) as unknown as Db;
}

/** The index specifications of a collection of a `createMingoDb` database. */
export function mingoIndexSpecs(db: Db, collection: string): IndexDescription[] {
  return (db.collection(collection) as unknown as MingoCollection).indexSpecs();
}
