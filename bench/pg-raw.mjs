/**
 * The PostgreSQL baseline: what a careful developer writes by hand with `pg` for the same work
 * as the library, on the same pool — parameterised statements (`pool.query(text, values)`, as
 * the library runs them), one statement for a bulk end and one for the sweep, a server-side
 * cursor for the export, and the rows mapped to the same JavaScript objects (int8 columns come
 * back from pg as text, so times go through Number()).
 */
import { TABLE } from "./dataset.mjs";
import { INSERT_COLUMNS, newSession, SESSION, sessionOf, TOKEN, touchDecision } from "./raw.mjs";

const TIMES = ["created_at", "last_activity_at", "expires_at", "absolute_expires_at", "ended_at"];

/** A row with its int8 columns as numbers. */
function numeric(row) {
  for (const column of TIMES) {
    if (column in row && row[column] !== null) row[column] = Number(row[column]);
  }
  return row;
}

const FILTER = "tenant_id = $1 AND lower(client_type) = $2 AND created_at > $3";
const filterValues = (params) => [params.tenant, params.clientType, params.since];
/** The schema's sweep index is on this expression (see the PostgreSQL store's schema). */
const OPEN_DEADLINE = "(CASE WHEN ended_at IS NULL THEN expires_at END)";

export function pgRawQueries(lib, pool) {
  const rows = async (text, values) => (await pool.query(text, values)).rows.map(numeric);

  const listPage = async (text, values, limit, now) => {
    const found = await rows(text, [...values, limit + 1]);
    const items = found.slice(0, limit).map((row) => sessionOf(row, now));
    const last = items.at(-1);
    const next = found.length > limit && last ? { at: last.createdAt, id: last.id } : null;
    return { items, next };
  };

  return {
    /** validate: constant-time hash compare, then a touch once per minute that never revives. */
    async validate(tenant, token, now) {
      const match = TOKEN.exec(token);
      if (!match) return null;
      const [row] = await rows(
        `SELECT ${SESSION}, secret_hash FROM ${TABLE} WHERE tenant_id = $1 AND id = $2`,
        [tenant, match[1]],
      );
      const decision = touchDecision(row, match[2], now);
      if (!decision || decision.session) return decision?.session ?? null;
      const [touched] = await rows(
        `UPDATE ${TABLE} SET last_activity_at = $1, expires_at = $2
         WHERE tenant_id = $3 AND id = $4 AND ended_at IS NULL AND expires_at > $5
         RETURNING ${SESSION}`,
        [now, decision.expiresAt, tenant, match[1], now],
      );
      return touched ? sessionOf(touched, now) : null;
    },

    async create(input, now) {
      const { values, session, token } = newSession(lib, input, now);
      await pool.query(
        `INSERT INTO ${TABLE} (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
           $10, $11, $12, $13, $14, $15, $16, $17, $18, 'ACTIVE', NULL, $19, $20, $21, $22, NULL,
           $23, $24)`,
        values,
      );
      return { session, token };
    },

    // The index (tenant_id, created_at DESC, id) gives this order without a sort.
    list: (params, now) =>
      listPage(
        `SELECT ${SESSION} FROM ${TABLE} WHERE ${FILTER}
         ORDER BY created_at DESC, id ASC LIMIT $4`,
        filterValues(params),
        params.limit,
        now,
      ),

    // Keyset: a leading range the index can seek to, then the exact "after" condition.
    listAfter: (params, now) =>
      listPage(
        `SELECT ${SESSION} FROM ${TABLE} WHERE ${FILTER}
           AND created_at <= $4 AND (created_at < $4 OR id > $5)
         ORDER BY created_at DESC, id ASC LIMIT $6`,
        [...filterValues(params), params.at, params.id],
        params.limit,
        now,
      ),

    async count(params) {
      const [row] = await rows(
        `SELECT count(*) AS n FROM ${TABLE} WHERE ${FILTER}`,
        filterValues(params),
      );
      return Number(row.n);
    },

    // count(*) OVER () runs after GROUP BY: the number of groups, in the same statement.
    async groupEdition(params) {
      const found = await rows(
        `SELECT license_edition AS value, count(*) AS n, count(*) OVER () AS total
         FROM ${TABLE} WHERE ${FILTER} GROUP BY license_edition
         ORDER BY n DESC, value ASC NULLS FIRST LIMIT $4`,
        [...filterValues(params), params.limit],
      );
      return {
        totalGroups: Number(found[0]?.total ?? 0),
        groups: found.map((row) => ({ value: row.value, count: Number(row.n) })),
      };
    },

    // The login and name of each user's newest session, as PostgreSQL is usually asked for it.
    async groupUser(params) {
      const found = await rows(
        `SELECT user_id AS value, count(*) AS n, count(*) OVER () AS total,
           (array_agg(user_login ORDER BY created_at DESC, id DESC))[1] AS login,
           (array_agg(user_full_name ORDER BY created_at DESC, id DESC))[1] AS full_name
         FROM ${TABLE} WHERE ${FILTER} GROUP BY user_id
         ORDER BY n DESC, value ASC LIMIT $4`,
        [...filterValues(params), params.limit],
      );
      return {
        totalGroups: Number(found[0]?.total ?? 0),
        groups: found.map((row) => ({
          value: row.value,
          count: Number(row.n),
          user: { id: row.value, login: row.login, fullName: row.full_name },
        })),
      };
    },

    /** The tenant's sessions newest first, through a server-side cursor, 1,000 rows a fetch. */
    async *exportSessions(tenant, now) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN READ ONLY");
        await client.query(
          `DECLARE export NO SCROLL CURSOR FOR SELECT ${SESSION} FROM ${TABLE}
           WHERE tenant_id = $1 ORDER BY created_at DESC, id ASC`,
          [tenant],
        );
        for (;;) {
          const { rows: batch } = await client.query("FETCH 1000 FROM export");
          for (const row of batch) yield sessionOf(numeric(row), now);
          if (batch.length < 1000) break;
        }
        await client.query("COMMIT");
      } finally {
        client.release();
      }
    },

    /** One UPDATE for the whole list, then one look-up of the ids that did not end. */
    async terminateIds(tenant, ids, now) {
      const unique = [...new Set(ids)];
      const ended = new Map(
        (
          await rows(
            `UPDATE ${TABLE} SET status = 'REVOKED', end_reason = 'REVOKED', ended_at = $1
             WHERE tenant_id = $2 AND id = ANY($3::text[]) AND ended_at IS NULL AND expires_at > $1
             RETURNING id, user_id`,
            [now, tenant, unique],
          )
        ).map((row) => [row.id, row.user_id]),
      );
      const rest = unique.filter((id) => !ended.has(id));
      const found = new Set(
        rest.length === 0
          ? []
          : (
              await rows(`SELECT id FROM ${TABLE} WHERE tenant_id = $1 AND id = ANY($2::text[])`, [
                tenant,
                rest,
              ])
            ).map((row) => row.id),
      );
      const outcome = { ended: [], alreadyEnded: [], notFound: [] };
      for (const id of unique) {
        const userId = ended.get(id);
        if (userId !== undefined) outcome.ended.push({ id, userId });
        else if (found.has(id)) outcome.alreadyEnded.push(id);
        else outcome.notFound.push(id);
      }
      return outcome;
    },

    /** One UPDATE of every lapsed row, through the schema's open-deadline index. */
    sweep: (now) =>
      rows(
        `UPDATE ${TABLE} SET status = 'EXPIRED',
           end_reason = CASE WHEN expires_at >= absolute_expires_at THEN 'MAX_LIFETIME' ELSE 'IDLE_TIMEOUT' END,
           ended_at = expires_at
         WHERE ended_at IS NULL AND ${OPEN_DEADLINE} <= $1
         RETURNING tenant_id, id, user_id, end_reason, ended_at`,
        [now],
      ),
  };
}
