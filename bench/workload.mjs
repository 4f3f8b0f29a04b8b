/**
 * What every table measures, shared by the SQLite and in-memory runs: the filter and sort of
 * the list, count and group operations, the sessions `create` records, the CSV columns of the
 * export, and the null sink exports are written to.
 */
import { createHash } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { generateSessions, NOW } from "./dataset.mjs";

const DAY = 86_400_000;
export const SINCE = NOW - 300 * DAY;
export const FILTER_TEXT = `client_type='UI';creation_time>^${new Date(SINCE).toISOString()}^`;
export const SORT_TEXT = "-creation_time";
export const PAGE = 100;
/** The deep page of the cursor benchmark, when the filter matches enough rows for it. */
export const DEEP_PAGE = 500;
export const TOUCH_SESSIONS = 2000;
export const CREATES_PER_SAMPLE = 500;
export const BULK_IDS = 100_000;
export const TOUCH_STEP_MS = 61_000;
/** The HTTP benchmark's read-only API key (loopback only). */
export const API_KEY = "bench-read-key-0123456789";

/**
 * The Octane `query` of the HTTP benchmarks, URL-encoded: UI sessions created in the `days`
 * days before NOW (the router requires a creation range of at most 30 days).
 */
export function octaneQuery(days) {
  const range = `creation_time>^${new Date(NOW - days * DAY).toISOString()}^;creation_time<^${new Date(NOW).toISOString()}^`;
  return encodeURIComponent(`"(client_type='UI';${range})"`);
}

/** A clock the benchmarks move by hand; every ledger reads it. */
export function manualClock() {
  const clock = { now: NOW, read: () => clock.now };
  return clock;
}

/** The `create` inputs: realistic sessions without the stored-only fields. */
export function createInputs(tenantId, count, seed) {
  return Array.from(generateSessions({ count, seed, now: NOW, users: 50_000 }), (record) => ({
    tenantId,
    user: record.user,
    clientType: record.clientType,
    accessType: record.accessType,
    clientIp: record.clientIp,
    serverIp: record.serverIp,
    userAgent: record.userAgent,
    clientInfo: record.clientInfo,
    city: record.city,
    country: record.country,
    licenseEdition: record.licenseEdition,
  }));
}

const iso = (ms) => (ms === null ? "" : new Date(ms).toISOString());

export const CSV_COLUMNS = [
  "id",
  "login",
  "full_name",
  "client_type",
  "access_type",
  "client_ip",
  "city",
  "country",
  "license_edition",
  "status",
  "end_reason",
  "creation_time",
  "last_activity_time",
  "end_time",
];

/** One session as a CSV record (the same mapping for the library and the baseline). */
export function csvCells(session) {
  return [
    session.id,
    session.user.login,
    session.user.fullName,
    session.clientType,
    session.accessType,
    session.clientIp,
    session.city,
    session.country,
    session.licenseEdition,
    session.status,
    session.endReason,
    iso(session.createdAt),
    iso(session.lastActivityAt),
    iso(session.endedAt),
  ];
}

/** Discards what it is given, counting bytes (or hashing them, to compare two exports). */
function sink(hash) {
  const written = { bytes: 0, hash };
  const stream = new Writable({
    write(chunk, _encoding, done) {
      written.bytes += chunk.length;
      hash?.update(chunk);
      done();
    },
  });
  return { stream, written };
}

/**
 * Streams sessions through csv-stringify into a sink: `sessions` is the library's async
 * iterable or the baseline's generator. Resolves to the rows written and the CSV's hash.
 */
export async function exportCsv(stringify, sessions, { hashed = false } = {}) {
  let rows = 0;
  // The baseline's rows come from a synchronous iterator; mapping them synchronously is what
  // a hand-written export would do (the library's export is an async iterable by contract).
  const records =
    Symbol.asyncIterator in sessions
      ? (async function* () {
          for await (const session of sessions) {
            rows++;
            yield csvCells(session);
          }
        })()
      : (function* () {
          for (const session of sessions) {
            rows++;
            yield csvCells(session);
          }
        })();
  const { stream, written } = sink(hashed ? createHash("sha256") : null);
  await pipeline(Readable.from(records), stringify({ header: true, columns: CSV_COLUMNS }), stream);
  return { rows, bytes: written.bytes, hash: written.hash?.digest("hex") ?? null };
}
