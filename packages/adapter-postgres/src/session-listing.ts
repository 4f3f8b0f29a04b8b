/**
 * The read side: pages, counts and groups are the SQL stores' shared statements; exports read
 * a server-side cursor in batches, so memory stays bounded however many rows match.
 */
import type { StoreQueries, StreamQuery } from "@session-ledger/core/store";
import {
  fromSessionListRow,
  orderedQuery,
  type SessionListRow,
  sessionReads,
} from "@session-ledger/sql";
import { CompiledQuery } from "kysely";
import type { PgStoreContext } from "./context.js";
import { guarded } from "./store-errors.js";

/** Rows fetched from the cursor at a time: bounded memory, few round trips. */
const STREAM_BATCH = 500;
/** One export per held connection, so a fixed name never clashes. */
const CURSOR = "session_ledger_export";

export function sessionListing(context: PgStoreContext): StoreQueries {
  const { runner } = context;
  const fetchBatch = CompiledQuery.raw(`FETCH ${STREAM_BATCH} FROM ${CURSOR}`);

  return {
    ...sessionReads(context),

    /**
     * One cursor over the whole ordered query, in a read-only transaction on one held
     * connection: the query is planned and sorted once (a keyset walk would re-sort an
     * unindexed order for every batch) and reads one snapshot. The next batch is fetched while
     * the consumer takes this one. The connection is held until the export ends or the
     * consumer stops (`return()`), so the pool must leave room for concurrent exports.
     */
    async *streamSessions(tenantId, query: StreamQuery) {
      const held = await guarded("streamSessions", () => runner.hold());
      let finished = false;
      let pending: Promise<unknown> | undefined;
      try {
        const ordered = orderedQuery(context, tenantId, query).compile();
        await guarded("streamSessions", async () => {
          await held.all(CompiledQuery.raw("BEGIN READ ONLY"));
          await held.all(
            CompiledQuery.raw(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${ordered.sql}`, [
              ...ordered.parameters,
            ]),
          );
        });
        const fetch = () => {
          const batch = guarded("streamSessions", () => held.all<SessionListRow>(fetchBatch));
          // A consumer that stops early never awaits the batch fetched ahead for it.
          batch.catch(() => {});
          pending = batch;
          return batch;
        };
        let next = fetch();
        for (;;) {
          const batch = await next;
          const more = batch.length === STREAM_BATCH;
          if (more) next = fetch();
          else pending = undefined;
          yield* batch.map(fromSessionListRow);
          if (!more) break;
        }
        finished = true;
        await guarded("streamSessions", () => held.all(CompiledQuery.raw("COMMIT")));
      } finally {
        if (!finished) {
          await pending?.catch(() => undefined);
          await held.all(CompiledQuery.raw("ROLLBACK")).catch(() => undefined);
        }
        held.release();
      }
    },
  };
}
