/** The per-user cap on open sessions, settled without a multi-document transaction. */

import { randomUUID } from "node:crypto";
import { EndReason, SessionStatus, StorageError, ValidationError } from "@session-ledger/core";
import {
  compareCodePoints,
  type InsertOutcome,
  type SessionRecord,
  type UserSessionCap,
} from "@session-ledger/core/store";
import { requireCount, requireTime } from "./boundary.js";
import { openAt } from "./compile-filter.js";
import { toSessionRecord } from "./documents.js";
import { endedByIs } from "./indexes.js";
import { COLLATION, driver, endFields, retrying, type StoreCollections } from "./store-context.js";

export function checkCap(cap: UserSessionCap): UserSessionCap {
  if (cap.policy !== "evict-oldest" && cap.policy !== "reject") {
    throw new ValidationError("mongo store: cap.policy must be evict-oldest or reject", {
      target: "cap.policy",
    });
  }
  return {
    maxOpen: requireCount("cap.maxOpen", cap.maxOpen, 1),
    policy: cap.policy,
    now: requireTime("cap.now", cap.now),
  };
}

/**
 * The next number in the user's login sequence: one atomic update of the user's counter
 * document, so the numbers order a user's logins as they reached the server, whatever the app
 * nodes' clocks say. (The server retries an upsert that races another on the same `_id`.)
 *
 * The counter never goes below the highest number among the user's stored-open sessions (read
 * through `open_user_logins` just before): a counter deleted or reset (a restore, a host's
 * cleanup) would otherwise number the next login below sessions that are still open, and
 * `evict-oldest` would end the login it just let in. Two logins racing past a lost counter may
 * take one number; their order then falls back to creation time and id, as before numbers.
 */
export async function takeLoginSeq(
  { sessions, loginSequences, budgets }: StoreCollections,
  record: SessionRecord,
): Promise<number> {
  const newest = await driver("read a user's newest login", () =>
    sessions.findOne(
      { tenantId: record.tenantId, "user.id": record.user.id, status: SessionStatus.Active },
      {
        ...COLLATION,
        sort: { loginSeq: -1 },
        projection: { _id: 0, loginSeq: 1 },
        maxTimeMS: budgets.writeMs,
      },
    ),
  );
  const highest = typeof newest?.loginSeq === "number" ? newest.loginSeq : 0;
  const counter = await driver("take a login sequence number", () =>
    loginSequences.findOneAndUpdate(
      { _id: JSON.stringify([record.tenantId, record.user.id]) },
      [{ $set: { seq: { $add: [{ $max: [{ $ifNull: ["$seq", 0] }, highest] }, 1] } } }],
      { ...COLLATION, upsert: true, returnDocument: "after", maxTimeMS: budgets.writeMs },
    ),
  );
  if (!counter) throw new StorageError("mongo store: the login sequence upsert returned nothing");
  return counter.seq;
}

/**
 * The per-user cap without a multi-document transaction: the login takes a sequence number
 * (`takeLoginSeq`), inserts its session with it, then looks at the user's open sessions.
 *
 * For `evict-oldest`, every login ends whatever is outside the newest `maxOpen` by sequence
 * number. Since every login looks only after its own insert, the last one to look sees every
 * insert, and a session among the newest `maxOpen` overall is among the newest of any subset,
 * so concurrent logins converge on exactly `maxOpen` open sessions. And since the sequence
 * follows the order logins reached the server, a login only ever ends its own session for
 * `maxOpen` logins that came after it: never because another node's clock runs ahead, or
 * another process's ObjectId sorts higher. (Creation time could not say; a transaction would
 * not help either, as it only conflicts on writes.) Sessions created without a cap have no
 * number and rank oldest, by creation time.
 *
 * For `reject`, a login that finds more than `maxOpen` open deletes its own insert: racing
 * logins at the boundary may all be refused, but the cap is never exceeded once they return.
 */
export async function applyCap(
  { sessions }: StoreCollections,
  record: SessionRecord,
  cap: UserSessionCap,
): Promise<InsertOutcome> {
  const userOpen = { tenantId: record.tenantId, "user.id": record.user.id, ...openAt(cap.now) };
  if (cap.policy === "reject") {
    const open = await driver("count a user's open sessions", () =>
      sessions.countDocuments(userOpen, { ...COLLATION, limit: cap.maxOpen + 1 }),
    );
    if (open <= cap.maxOpen) return { inserted: true, evicted: [] };
    await driver("withdraw a session over the cap", () =>
      sessions.deleteOne(
        { tenantId: record.tenantId, id: record.id, "user.id": record.user.id },
        COLLATION,
      ),
    );
    return { inserted: false };
  }
  const excess = await driver("find sessions over the cap", () =>
    sessions
      .find(userOpen, {
        ...COLLATION,
        projection: { _id: 0, id: 1 },
        sort: { loginSeq: -1, createdAt: -1, id: -1 },
        skip: cap.maxOpen,
      })
      .toArray(),
  );
  if (excess.length === 0) return { inserted: true, evicted: [] };
  // One unordered bulk of conditional ends under one marker (one majority round trip, not one
  // per eviction), then the evicted sessions read back by the marker.
  const by = randomUUID();
  await retrying("evict sessions", () =>
    sessions.bulkWrite(
      excess.map(({ id }) => ({
        updateOne: {
          filter: { tenantId: record.tenantId, id, "user.id": record.user.id, ...openAt(cap.now) },
          update: { $set: endFields(SessionStatus.Revoked, EndReason.Replaced, cap.now, by) },
          ...COLLATION,
        },
      })),
      { ordered: false },
    ),
  );
  const ended = await driver("read evicted sessions", () =>
    sessions.find({ tenantId: record.tenantId, ...endedByIs(by) }, COLLATION).toArray(),
  );
  const evicted = ended.map(toSessionRecord);
  evicted.sort((a, b) => a.createdAt - b.createdAt || compareCodePoints(a.id, b.id));
  return { inserted: true, evicted };
}
