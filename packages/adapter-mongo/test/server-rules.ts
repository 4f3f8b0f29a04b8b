/**
 * What mongod (or mongos) refuses that mingo would happily evaluate. The in-process collection
 * applies these before it lets mingo run a document, so a store that would fail on a real server
 * fails in CI too. Each rule names the server behaviour it stands for.
 */
import { BSON, type Document, ObjectId } from "mongodb";

/** Shaped like the driver's `MongoServerError`: a `code` plus the details the server sends. */
export class FakeServerError extends Error {
  override name = "MongoServerError";
  readonly code: number;
  readonly errorLabels: string[] = [];
  constructor(message: string, code: number, details: Document = {}) {
    super(message);
    this.code = code;
    Object.assign(this, details);
  }
  /** As `MongoError.hasErrorLabel`. */
  hasErrorLabel(label: string): boolean {
    return this.errorLabels.includes(label);
  }
}

/**
 * A primary going away mid-write (ShutdownInProgress, 91, as a stepdown for a restart sends):
 * what the write applied stays applied, and the error carries the `RetryableWriteError` label.
 */
export const steppedDown = () =>
  new FakeServerError("operation was interrupted because the primary stepped down", 91, {
    codeName: "ShutdownInProgress",
    errorLabels: ["RetryableWriteError"],
  });

/** `BSONObjMaxUserSize`: no stored document, and no document a pipeline stage builds, is larger. */
export const MAX_BSON_SIZE = 16 * 1024 * 1024;

/** The largest `expireAfterSeconds` a TTL index accepts (a 32-bit signed integer). */
export const MAX_TTL_SECONDS = 2_147_483_647;

const isPlain = (value: unknown): value is Document =>
  value !== null &&
  typeof value === "object" &&
  !Array.isArray(value) &&
  !(value instanceof Date) &&
  !(value instanceof ObjectId) &&
  !(value instanceof RegExp);

/**
 * PCRE2 as mongod builds it (`LINK_SIZE 2`, `MAX_PATTERN_LENGTH`) refuses a pattern source
 * over 32,764 bytes: "Regular expression is invalid: pattern string is too large" (51091).
 */
export const MAX_REGEX_BYTES = 32_764;

/**
 * What mongod refuses of a pattern, in a filter, an aggregation `$match` or a partial filter
 * alike: an embedded null byte (`RegexMatchExpression::init`, BadValue; a pattern must spell
 * NUL as `\x00`), and a source over `MAX_REGEX_BYTES`.
 */
export function refuseBadRegex(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) refuseBadRegex(item);
    return;
  }
  if (value instanceof RegExp) checkPattern(value.source);
  if (!isPlain(value)) return;
  for (const [key, inner] of Object.entries(value)) {
    if (key === "$regex" && typeof inner === "string") checkPattern(inner);
    refuseBadRegex(inner);
  }
}

function checkPattern(source: string): void {
  if (source.includes("\0")) throw nulInRegex();
  if (Buffer.byteLength(source, "utf8") > MAX_REGEX_BYTES) {
    throw new FakeServerError("Regular expression is invalid: pattern string is too large", 51091, {
      codeName: "Location51091",
    });
  }
}

const nulInRegex = () =>
  new FakeServerError("Regular expression cannot contain an embedded null byte", 2, {
    codeName: "BadValue",
  });

/**
 * A document over 16 MiB is refused: on insert and as the result of an update
 * (`BSONObjectTooLarge`, 17419), and as the output of `$group`, `$facet` or a pipeline
 * (`$facet` is one document and never spills, 4031700).
 */
export function checkDocumentSize(
  doc: Document,
  what: "insert" | "update" | "$facet" | "$group" | "result",
): void {
  const size = BSON.calculateObjectSize(doc);
  if (size <= MAX_BSON_SIZE) return;
  const [message, code] =
    what === "insert"
      ? [`object to insert too large. size in bytes: ${size}, max size: ${MAX_BSON_SIZE}`, 10334]
      : what === "update"
        ? [`Resulting document after update is larger than ${MAX_BSON_SIZE}`, 17419]
        : what === "$facet"
          ? [
              `document constructed by $facet is ${size} bytes, which exceeds the limit of ${MAX_BSON_SIZE} bytes`,
              4031700,
            ]
          : [
              `BSONObj size: ${size} is invalid. Size must be between 0 and ${MAX_BSON_SIZE}`,
              10334,
            ];
  throw new FakeServerError(message, code, { codeName: "BSONObjectTooLarge" });
}

/** TTL indexes take `expireAfterSeconds` from 0 to 2^31 − 1; createIndexes and collMod refuse others. */
export function checkTtl(seconds: unknown, command: "createIndexes" | "collMod"): void {
  if (seconds === undefined) return;
  if (
    typeof seconds === "number" &&
    Number.isInteger(seconds) &&
    seconds >= 0 &&
    seconds <= MAX_TTL_SECONDS
  ) {
    return;
  }
  const message = `TTL index 'expireAfterSeconds' option must be within an acceptable range [0, ${MAX_TTL_SECONDS}], got ${seconds}`;
  throw command === "createIndexes"
    ? new FakeServerError(message, 67, { codeName: "CannotCreateIndex" })
    : new FakeServerError(message, 72, { codeName: "InvalidOptions" });
}

/** The fields a filter pins to one value: top-level (or top-level `$and`) `f: v` or `f: {$eq: v}`. */
export function equalityFields(filter: Document): Set<string> {
  const fields = new Set<string>();
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(value)) {
      for (const item of value) for (const field of equalityFields(item)) fields.add(field);
    } else if (!key.startsWith("$")) {
      const pinned = !isPlain(value) || (Object.keys(value).length === 1 && "$eq" in value);
      if (pinned && !Array.isArray(value)) fields.add(key);
    }
  }
  return fields;
}

/**
 * A sharded collection's rules (MongoDB 7.0 without the 7.1+ broadcast of shard-key-less
 * writes, which 8.0 runs as a slow two-phase write): a single-document write (updateOne,
 * replaceOne, deleteOne, findOneAndUpdate, and each updateOne of a bulkWrite) and every upsert
 * must pin the whole shard key by equality (ShardKeyNotFound); a unique index must start with
 * the shard key (CannotCreateIndex).
 */
export class ShardKey {
  readonly #fields: string[];
  readonly #collection: string;

  constructor(collection: string, key: Record<string, 1 | "hashed">) {
    this.#collection = collection;
    this.#fields = Object.keys(key);
  }

  checkSingleWrite(method: string, filter: Document): void {
    const pinned = equalityFields(filter);
    const missing = this.#fields.filter((field) => !pinned.has(field));
    if (missing.length === 0) return;
    throw new FakeServerError(
      `${method} on sharded collection ${this.#collection} must contain an exact match on the shard key { ${this.#fields.join(", ")} }; the filter leaves out ${missing.join(", ")}`,
      61,
      { codeName: "ShardKeyNotFound" },
    );
  }

  checkUniqueIndex(spec: { name?: string; key: Document; unique?: boolean }): void {
    if (!spec.unique) return;
    const keys = Object.keys(spec.key);
    if (this.#fields.every((field, i) => keys[i] === field)) return;
    throw new FakeServerError(
      `cannot create unique index over ${JSON.stringify(spec.key)} with shard key pattern { ${this.#fields.join(", ")} }`,
      67,
      { codeName: "CannotCreateIndex" },
    );
  }
}
