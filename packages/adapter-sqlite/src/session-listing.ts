/**
 * The read side: pages, counts and groups are the SQL stores' shared statements, run on the
 * reader (worker threads); exports read keyset batches, so nothing is filtered, sorted or
 * counted in memory and no long read ever holds a connection.
 */
import {
  effectiveSession,
  type KeysetPosition,
  keysetPositionOf,
  type ListQuery,
  type Session,
  type StoreQueries,
  type StreamQuery,
} from "@session-ledger/core/store";
import {
  fromSessionListRow,
  pageQuery,
  pageRows,
  type SessionArray,
  type SessionListRow,
  sessionReads,
  sessionsOf,
} from "@session-ledger/sql";
import type { StoreContext } from "./sql-runner.js";
import { SESSION_ARRAY } from "./sqlite-dialect.js";
import { guarded } from "./store-errors.js";

/** Rows read per statement while streaming: bounded memory, and the connection is free between. */
const STREAM_BATCH = 200;

export function sessionListing(context: StoreContext): StoreQueries {
  const { reader } = context;
  // A page as one column per row, its session as a JSON array built by SQLite.
  const sessions = async (tenantId: string, page: ListQuery): Promise<Session[]> =>
    sessionsOf(
      await reader.documents<SessionArray>(
        pageRows(context, tenantId, page).select(SESSION_ARRAY.as("record")).compile(),
      ),
    );

  return {
    ...sessionReads(context),

    listSessions: (tenantId, query) => guarded("listSessions", () => sessions(tenantId, query)),

    async *streamSessions(tenantId, query: StreamQuery) {
      const { now } = query;
      // Batched keyset reads, not one long cursor: each batch is one short call to a reader (a
      // worker, or the host's connection), so a slow download never holds either. The next
      // batch is read while the consumer takes this one: one batch ahead, never more.
      const read = (after?: KeysetPosition) => {
        const page: ListQuery = {
          filter: query.filter,
          sort: query.sort,
          now,
          limit: STREAM_BATCH,
        };
        // Rows, not the pages' JSON records: see "Not as JSON" in read-pool.ts.
        const batch = guarded("streamSessions", async () =>
          (
            await reader.all<SessionListRow>(
              pageQuery(context, tenantId, after === undefined ? page : { ...page, after }),
            )
          ).map(fromSessionListRow),
        );
        // A consumer that stops early never awaits the batch read ahead for it.
        batch.catch(() => {});
        return batch;
      };
      let next = read();
      for (;;) {
        const batch = await next;
        const last = batch.at(-1);
        const more = batch.length === STREAM_BATCH && last !== undefined;
        if (more) next = read(keysetPositionOf(effectiveSession(last, now), query.sort));
        yield* batch;
        if (!more) return;
      }
    },
  };
}
