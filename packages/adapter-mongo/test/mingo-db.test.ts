/**
 * The in-process collection refuses what mongod refuses, so a store document that a real
 * server would reject fails in CI. Each case is one server rule (`server-rules.ts`).
 */
import type { Document } from "mongodb";
import { describe, expect, it } from "vitest";
import {
  type ClusterFaults,
  CURSOR_BATCH,
  createMingoDb,
  seedMingoCollection,
} from "./mingo-db.js";
import { MAX_BSON_SIZE, MAX_REGEX_BYTES, MAX_TTL_SECONDS } from "./server-rules.js";

async function refusal(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, "expected the server to refuse").not.toBeNull();
  return error as { code: number; message: string };
}

/** A string of `bytes` UTF-8 bytes. */
const text = (bytes: number) => "x".repeat(bytes);

describe("in-process collection: what mongod refuses", () => {
  it("should refuse a $regex with an embedded NUL in a filter, an update filter and a $match", async () => {
    const coll = createMingoDb().collection("c");
    await coll.insertOne({ name: "a\0b" });
    expect((await refusal(coll.find({ name: { $regex: "^a\0" } }).toArray())).code).toBe(2);
    expect((await refusal(coll.countDocuments({ name: { $regex: "\0" } }))).code).toBe(2);
    expect(
      (await refusal(coll.updateMany({ $nor: [{ name: { $regex: "\0" } }] }, { $set: { x: 1 } })))
        .code,
    ).toBe(2);
    expect(
      (await refusal(coll.aggregate([{ $match: { name: { $regex: "\0" } } }]).toArray())).code,
    ).toBe(2);
    // Spelled as an escape, NUL is fine.
    expect(await coll.countDocuments({ name: { $regex: "^a\\x00b" } })).toBe(1);
  });

  it("should refuse a pattern over PCRE2's 32,764-byte source cap with 51091", async () => {
    const coll = createMingoDb().collection("c");
    await coll.insertOne({ name: "a" });
    const pattern = (bytes: number) => `^${"a".repeat(bytes - 1)}`;
    expect(await coll.countDocuments({ name: { $regex: pattern(MAX_REGEX_BYTES) } })).toBe(0);
    expect(
      (await refusal(coll.find({ name: { $regex: pattern(MAX_REGEX_BYTES + 1) } }).toArray())).code,
    ).toBe(51091);
    expect(
      (await refusal(coll.aggregate([{ $match: { name: new RegExp(pattern(40_000)) } }]).toArray()))
        .code,
    ).toBe(51091);
  });

  it("should refuse a document over 16 MiB on insert and as the result of an update", async () => {
    const coll = createMingoDb().collection("c");
    expect((await refusal(coll.insertOne({ big: text(MAX_BSON_SIZE) }))).code).toBe(10334);
    await coll.insertOne({ _id: "a" as never, big: text(MAX_BSON_SIZE / 2) });
    const grown = coll.updateOne(
      { _id: "a" as never },
      { $set: { more: text(MAX_BSON_SIZE / 2) } },
    );
    expect((await refusal(grown)).code).toBe(17419);
  });

  it("should refuse a $facet or $group output over 16 MiB, but stream a result of many small documents", async () => {
    const db = createMingoDb();
    // 40,000 distinct 500-byte values: about 20 MB in all, far under 16 MiB each.
    const docs: Document[] = Array.from({ length: 40_000 }, (_, i) => ({
      v: `${i}`.padStart(500, "0"),
    }));
    seedMingoCollection(db, "c", docs);
    const coll = db.collection("c");
    const grouped = [{ $group: { _id: "$v", count: { $sum: 1 } } }];
    expect(await coll.aggregate(grouped).toArray()).toHaveLength(40_000);
    const faceted = [...grouped, { $facet: { page: [{ $limit: 40_000 }] } }];
    expect((await refusal(coll.aggregate(faceted).toArray())).code).toBe(4031700);
    const pushed = [{ $group: { _id: null, all: { $push: "$v" } } }];
    expect((await refusal(coll.aggregate(pushed).toArray())).code).toBe(10334);
  });

  it("should refuse a TTL index or a TTL change beyond 2^31 - 1 seconds", async () => {
    const db = createMingoDb();
    const coll = db.collection("c");
    const ttl = (seconds: number) => ({ name: "ttl", key: { at: 1 }, expireAfterSeconds: seconds });
    expect((await refusal(coll.createIndexes([ttl(MAX_TTL_SECONDS + 1)]))).code).toBe(67);
    await coll.createIndexes([ttl(MAX_TTL_SECONDS)]);
    const change = db.command({
      collMod: "c",
      index: { name: "ttl", expireAfterSeconds: MAX_TTL_SECONDS + 1 },
    });
    expect((await refusal(change)).code).toBe(72);
  });

  describe("sharded on { tenantId: 1, id: 1 }", () => {
    const sharded = () =>
      createMingoDb({ shardKeys: { c: { tenantId: 1, id: 1 } } }).collection("c");
    const set = { $set: { seen: true } };

    it("should refuse single-document writes whose filter leaves out part of the shard key", async () => {
      const coll = sharded();
      await coll.insertOne({ tenantId: "t", id: "a", user: { id: "u" } });
      const partial = { tenantId: "t", "user.id": "u" };
      for (const write of [
        coll.updateOne(partial, set),
        coll.deleteOne(partial),
        coll.findOneAndUpdate(partial, set),
        coll.replaceOne(partial, { tenantId: "t", id: "a" }),
        coll.bulkWrite([{ updateOne: { filter: partial, update: set } }]),
        coll.updateOne({ tenantId: "t", id: { $in: ["a"] } }, set),
      ]) {
        expect((await refusal(write)).code).toBe(61);
      }
    });

    it("should accept them with the whole key pinned, also inside $and and as $eq", async () => {
      const coll = sharded();
      await coll.insertOne({ tenantId: "t", id: "a" });
      expect((await coll.updateOne({ tenantId: "t", id: "a" }, set)).matchedCount).toBe(1);
      const nested = { $and: [{ tenantId: "t" }, { id: { $eq: "a" } }] };
      expect(await coll.findOneAndUpdate(nested, set)).not.toBeNull();
      // Multi-document writes and reads are broadcast: no key needed.
      expect((await coll.updateMany({ seen: true }, set)).matchedCount).toBe(1);
    });

    it("should refuse an upsert without the whole key and a unique index that does not start with it", async () => {
      const coll = sharded();
      expect((await refusal(coll.updateOne({ tenantId: "t" }, set, { upsert: true }))).code).toBe(
        61,
      );
      const unique = { name: "u", key: { tenantId: 1, sessionIdentifier: 1 }, unique: true };
      expect((await refusal(coll.createIndexes([unique]))).code).toBe(67);
      await coll.createIndexes([{ name: "k", key: { tenantId: 1, id: 1 }, unique: true }]);
      await coll.createIndexes([{ ...unique, unique: false }]);
    });
  });

  it("should evaluate a cursor batch by batch, so writes between batches show as on a server", async () => {
    const db = createMingoDb();
    const coll = db.collection("c");
    seedMingoCollection(
      db,
      "c",
      Array.from({ length: 3 * CURSOR_BATCH }, (_, i) => ({ key: i })),
    );
    const seen: number[] = [];
    for await (const doc of coll.find({}, { sort: { key: 1 }, projection: { _id: 0 } })) {
      seen.push(doc.key as number);
      if (seen.length === 1) {
        // A key moved past the cursor's position is handed out again; a new one is seen.
        await coll.updateOne({ key: 0 }, { $set: { key: 10_000 } });
        await coll.insertOne({ key: 20_000 });
      }
    }
    expect(seen.length).toBe(3 * CURSOR_BATCH + 2);
    expect(seen.slice(-2)).toEqual([10_000, 20_000]);
    expect(seen[0]).toBe(0);
  });

  it("should walk a hinted index and sort what it read when the index's order is not the sort's", async () => {
    const db = createMingoDb();
    const coll = db.collection("c");
    await coll.createIndexes([
      { name: "by_born", key: { born: 1 } },
      { name: "by_key", key: { key: 1 } },
    ]);
    seedMingoCollection(
      db,
      "c",
      Array.from({ length: 3 * CURSOR_BATCH }, (_, i) => ({ born: i, key: i })),
    );
    const read = async (hint: string) => {
      const seen: number[] = [];
      let moved = 0;
      for await (const doc of coll.find({}, { sort: { key: 1 }, hint, projection: { _id: 0 } })) {
        seen.push(doc.born as number);
        // Once two batches are out (a blocking sort has read everything by then), and for a
        // walk on `key` while it is in its first batch, a key moves past the cursor.
        if (seen.length === 1 || seen.length === 2 * CURSOR_BATCH) {
          await coll.updateOne({ born: moved++ }, { $set: { key: 10_000 + moved } });
        }
      }
      return seen;
    };
    // Walking `key` itself, the moved document comes round again.
    const walked = await read("by_key");
    expect(walked.length).toBe(3 * CURSOR_BATCH + 2);
    // Walking `born` (which never changes), then sorting: each document once, in key order
    // as the walk read it.
    const sorted = await read("by_born");
    expect([...sorted].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 3 * CURSOR_BATCH }, (_, i) => i),
    );
    // A hint that names no index is refused, on a find and on a pipeline.
    expect((await refusal(coll.find({}, { hint: "nope" }).toArray())).code).toBe(2);
    expect((await refusal(coll.aggregate([{ $match: {} }], { hint: "nope" }).toArray())).code).toBe(
      2,
    );
  });

  it("should apply an update pipeline, on a match and on an upsert, and refuse a stage no update may hold", async () => {
    const coll = createMingoDb().collection("c");
    const bump = (floor: number) => [
      { $set: { n: { $add: [{ $max: [{ $ifNull: ["$n", 0] }, floor] }, 1] } } },
    ];
    const upserted = await coll.findOneAndUpdate({ name: "a" }, bump(5), {
      upsert: true,
      returnDocument: "after",
    });
    expect(upserted).toMatchObject({ name: "a", n: 6 });
    const matched = await coll.findOneAndUpdate({ name: "a" }, bump(2), {
      returnDocument: "after",
    });
    expect(matched).toMatchObject({ name: "a", n: 7, _id: upserted?._id });
    expect((await refusal(coll.updateOne({ name: "a" }, [{ $match: {} }]))).code).toBe(72);
  });

  it("should hold every kind of write, one that changes nothing too, until its wtimeoutMS when no majority acknowledges", async () => {
    const faults: ClusterFaults = {};
    const coll = createMingoDb({ faults }).collection("c", {
      writeConcern: { w: "majority", wtimeoutMS: 5 },
    });
    await coll.insertOne({ name: "a", n: 1 });
    await coll.insertOne({ name: "b", n: 1 });
    faults.unacknowledged = true;
    const writes: [string, () => Promise<unknown>][] = [
      ["insertOne", () => coll.insertOne({ name: "c" })],
      ["updateOne", () => coll.updateOne({ name: "a" }, { $inc: { n: 1 } })],
      ["updateMany", () => coll.updateMany({}, { $inc: { n: 1 } })],
      ["replaceOne", () => coll.replaceOne({ name: "a" }, { name: "a", n: 0 })],
      ["findOneAndUpdate", () => coll.findOneAndUpdate({ name: "a" }, { $inc: { n: 1 } })],
      [
        "findOneAndUpdate (no match)",
        () => coll.findOneAndUpdate({ name: "z" }, { $inc: { n: 1 } }),
      ],
      [
        "findOneAndUpdate (upsert)",
        () => coll.findOneAndUpdate({ name: "u" }, { $inc: { n: 1 } }, { upsert: true }),
      ],
      ["deleteOne", () => coll.deleteOne({ name: "b" })],
      ["deleteMany", () => coll.deleteMany({ name: "c" })],
      ["bulkWrite", () => coll.bulkWrite([{ deleteOne: { filter: { name: "u" } } }])],
    ];
    for (const [kind, write] of writes) {
      const error = await refusal(write());
      expect(`${kind}: ${error.code}`).toBe(`${kind}: 64`);
    }
  });

  it("should return only the projected fields from findOneAndUpdate", async () => {
    const coll = createMingoDb().collection("c");
    await coll.insertOne({ name: "a", payload: "x".repeat(1000), n: 1 });
    const after = await coll.findOneAndUpdate(
      { name: "a" },
      { $inc: { n: 1 } },
      { returnDocument: "after", projection: { _id: 0, n: 1 } },
    );
    expect(after).toEqual({ n: 2 });
  });
});
