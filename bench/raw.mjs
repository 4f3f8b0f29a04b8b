/**
 * The baseline: what a careful developer writes by hand with better-sqlite3 prepared
 * statements for the same work as the library — the same rows, the same effective status
 * of lapsed sessions at a bound `now`, mapped to the same JavaScript objects.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { TABLE } from "./dataset.mjs";

const IDLE_MS = 30 * 60_000;
const LIFETIME_MS = 10 * 3_600_000;
const TOUCH_MS = 60_000;
export const TOKEN = /^([A-Za-z0-9_-]{21})\.([A-Za-z0-9_-]{43})$/;

/** The columns a `Session` is made of (no secret, no sort keys). */
export const SESSION = `tenant_id, id, session_identifier, user_id, user_login, user_full_name, user_email,
  client_type, access_type, client_ip, server_ip, user_agent, client_info, city, country,
  license_edition, status, end_reason, created_at, last_activity_at, expires_at,
  absolute_expires_at, ended_at, attributes`;

/** A row as the `Session` a read at `now` reports: a lapsed open row reads EXPIRED. */
export function sessionOf(row, now) {
  const lapsed = row.ended_at === null && row.expires_at <= now;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    sessionIdentifier: row.session_identifier,
    user: {
      id: row.user_id,
      login: row.user_login,
      fullName: row.user_full_name,
      email: row.user_email,
    },
    clientType: row.client_type,
    accessType: row.access_type,
    clientIp: row.client_ip,
    serverIp: row.server_ip,
    userAgent: row.user_agent,
    clientInfo: row.client_info === null ? null : JSON.parse(row.client_info),
    city: row.city,
    country: row.country,
    licenseEdition: row.license_edition,
    status: lapsed ? "EXPIRED" : row.status,
    endReason: lapsed
      ? row.expires_at >= row.absolute_expires_at
        ? "MAX_LIFETIME"
        : "IDLE_TIMEOUT"
      : row.end_reason,
    createdAt: row.created_at,
    lastActivityAt: row.last_activity_at,
    expiresAt: row.expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    endedAt: lapsed ? row.expires_at : row.ended_at,
    attributes: row.attributes === null ? null : JSON.parse(row.attributes),
  };
}

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

/**
 * What validate does with the row a token names: null when the token does not match or the
 * session is not open at `now`; the session when it was touched less than a minute ago; else
 * the new deadline the touch writes.
 */
export function touchDecision(row, secret, now) {
  if (!row) return null;
  const presented = Buffer.from(sha256(secret), "hex");
  const stored = Buffer.from(row.secret_hash, "hex");
  if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) return null;
  if (row.ended_at !== null || row.expires_at <= now) return null;
  if (now - row.last_activity_at < TOUCH_MS) return { session: sessionOf(row, now) };
  return { expiresAt: Math.min(now + IDLE_MS, row.absolute_expires_at) };
}

/**
 * A new session for `create`: the INSERT's values (in the store's column order, as the
 * statements of both baselines list them), the `Session` returned and the token.
 */
export function newSession(lib, input, now) {
  const id = lib.nanoid();
  const secret = randomBytes(32).toString("base64url");
  const clientIp = input.clientIp == null ? null : lib.normalizeIp(input.clientIp);
  const serverIp = input.serverIp == null ? null : lib.normalizeIp(input.serverIp);
  const absoluteExpiresAt = now + LIFETIME_MS;
  const expiresAt = Math.min(now + IDLE_MS, absoluteExpiresAt);
  const clientInfo = input.clientInfo ?? null;
  const values = [
    input.tenantId,
    id,
    input.sessionIdentifier ?? null,
    input.user.id,
    input.user.login,
    input.user.fullName ?? null,
    input.user.email ?? null,
    input.clientType ?? "UI",
    input.accessType ?? "UI",
    clientIp,
    clientIp === null ? null : lib.ipSortKey(clientIp),
    serverIp,
    serverIp === null ? null : lib.ipSortKey(serverIp),
    input.userAgent ?? null,
    clientInfo === null ? null : JSON.stringify(clientInfo),
    input.city ?? null,
    input.country ?? null,
    input.licenseEdition ?? null,
    now,
    now,
    expiresAt,
    absoluteExpiresAt,
    input.attributes == null ? null : JSON.stringify(input.attributes),
    sha256(secret),
  ];
  const session = {
    id,
    tenantId: input.tenantId,
    sessionIdentifier: input.sessionIdentifier ?? null,
    user: {
      id: input.user.id,
      login: input.user.login,
      fullName: input.user.fullName ?? null,
      email: input.user.email ?? null,
    },
    clientType: input.clientType ?? "UI",
    accessType: input.accessType ?? "UI",
    clientIp,
    serverIp,
    userAgent: input.userAgent ?? null,
    clientInfo,
    city: input.city ?? null,
    country: input.country ?? null,
    licenseEdition: input.licenseEdition ?? null,
    status: "ACTIVE",
    endReason: null,
    createdAt: now,
    lastActivityAt: now,
    expiresAt,
    absoluteExpiresAt,
    endedAt: null,
    attributes: input.attributes ?? null,
  };
  return { values, session, token: `${id}.${secret}` };
}

/** The INSERT's column list, in `newSession`'s order (status ACTIVE and no end are literals). */
export const INSERT_COLUMNS = `tenant_id, id, session_identifier, user_id, user_login, user_full_name,
  user_email, client_type, access_type, client_ip, client_ip_key, server_ip, server_ip_key,
  user_agent, client_info, city, country, license_edition, status, end_reason, created_at,
  last_activity_at, expires_at, absolute_expires_at, ended_at, attributes, secret_hash`;

/**
 * The benchmark's filter `client_type='UI';creation_time>^since^` by hand: text compares
 * ASCII-case-insensitively (`lower()`), as the query language requires.
 */
const FILTER = "tenant_id = @tenant AND lower(client_type) = @clientType AND created_at > @since";

export function rawQueries(lib, database) {
  const prepare = (sql) => database.prepare(sql);
  const find = prepare(
    `SELECT ${SESSION}, secret_hash FROM ${TABLE} WHERE tenant_id = ? AND id = ?`,
  );
  const touch = prepare(
    `UPDATE ${TABLE} SET last_activity_at = ?, expires_at = ?
     WHERE tenant_id = ? AND id = ? AND ended_at IS NULL AND expires_at > ? RETURNING ${SESSION}`,
  );
  const insert = prepare(
    `INSERT INTO ${TABLE} (${INSERT_COLUMNS})
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', NULL, ?, ?, ?, ?, NULL, ?, ?)`,
  );
  // The index (tenant_id, created_at DESC, id) gives this order without a sort.
  const page = prepare(
    `SELECT ${SESSION} FROM ${TABLE} WHERE ${FILTER}
     ORDER BY created_at DESC, id ASC LIMIT @limit`,
  );
  // Keyset: a leading range the index can seek to, then the exact "after" condition.
  const pageAfter = prepare(
    `SELECT ${SESSION} FROM ${TABLE} WHERE ${FILTER}
       AND created_at <= @at AND (created_at < @at OR id > @id)
     ORDER BY created_at DESC, id ASC LIMIT @limit`,
  );
  const count = prepare(`SELECT count(*) FROM ${TABLE} WHERE ${FILTER}`).pluck();
  // count(*) OVER () runs after GROUP BY: the number of groups, in the same statement.
  const groupEdition = prepare(
    `SELECT license_edition AS value, count(*) AS n, count(*) OVER () AS total
     FROM ${TABLE} WHERE ${FILTER} GROUP BY license_edition
     ORDER BY n DESC, value ASC LIMIT @limit`,
  );
  // SQLite takes bare columns from the row holding the only max(): the newest session by
  // (created_at, id) as one fixed-width text key, so ties break by id like the library's
  // (the offset keeps negative times in order).
  const groupUser = prepare(
    `SELECT user_id AS value, count(*) AS n, count(*) OVER () AS total,
       user_login AS login, user_full_name AS full_name,
       max(printf('%020d', created_at + 9007199254740991) || id) AS newest
     FROM ${TABLE} WHERE ${FILTER} GROUP BY user_id
     ORDER BY n DESC, value ASC LIMIT @limit`,
  );
  const exportRows = prepare(
    `SELECT ${SESSION} FROM ${TABLE} WHERE tenant_id = ? ORDER BY created_at DESC, id ASC`,
  );
  const endOne = prepare(
    `UPDATE ${TABLE} SET status = 'REVOKED', end_reason = 'REVOKED', ended_at = @now
     WHERE tenant_id = @tenant AND id = @id AND ended_at IS NULL AND expires_at > @now
     RETURNING user_id`,
  ).pluck();
  const exists = prepare(`SELECT 1 FROM ${TABLE} WHERE tenant_id = ? AND id = ?`).pluck();
  const sweep = prepare(
    `UPDATE ${TABLE} SET status = 'EXPIRED',
       end_reason = CASE WHEN expires_at >= absolute_expires_at THEN 'MAX_LIFETIME' ELSE 'IDLE_TIMEOUT' END,
       ended_at = expires_at
     WHERE ended_at IS NULL AND expires_at <= ?
     RETURNING tenant_id, id, user_id, end_reason, ended_at`,
  );

  /** A page of 100 plus one row to know whether another page follows. */
  const listPage = (statement, params, now) => {
    const rows = statement.all({ ...params, limit: params.limit + 1 });
    const items = rows.slice(0, params.limit).map((row) => sessionOf(row, now));
    const last = items.at(-1);
    const next = rows.length > params.limit && last ? { at: last.createdAt, id: last.id } : null;
    return { items, next };
  };

  const endByIds = database.transaction((tenant, ids, now) => {
    const outcome = { ended: [], alreadyEnded: [], notFound: [] };
    for (const id of new Set(ids)) {
      const userId = endOne.get({ tenant, id, now });
      if (userId !== undefined) outcome.ended.push({ id, userId });
      else if (exists.get(tenant, id) !== undefined) outcome.alreadyEnded.push(id);
      else outcome.notFound.push(id);
    }
    return outcome;
  });

  return {
    /** validate: constant-time hash compare, then a touch once per minute that never revives. */
    validate(tenant, token, now) {
      const match = TOKEN.exec(token);
      if (!match) return null;
      const decision = touchDecision(find.get(tenant, match[1]), match[2], now);
      if (!decision || decision.session) return decision?.session ?? null;
      // all(), not get(): a write finished by reset() skips SQLite's WAL auto-checkpoint,
      // which would leave the checkpoints of the baseline's writes to the library's.
      const [touched] = touch.all(now, decision.expiresAt, tenant, match[1], now);
      return touched ? sessionOf(touched, now) : null;
    },

    create(input, now) {
      const { values, session, token } = newSession(lib, input, now);
      insert.run(...values);
      return { session, token };
    },

    list: (params, now) => listPage(page, params, now),
    listAfter: (params, now) => listPage(pageAfter, params, now),
    count: (params) => count.get(params),

    groupEdition(params) {
      const rows = groupEdition.all(params);
      return {
        totalGroups: rows[0]?.total ?? 0,
        groups: rows.map((row) => ({ value: row.value, count: row.n })),
      };
    },

    groupUser(params) {
      const rows = groupUser.all(params);
      return {
        totalGroups: rows[0]?.total ?? 0,
        groups: rows.map((row) => ({
          value: row.value,
          count: row.n,
          user: { id: row.value, login: row.login, fullName: row.full_name },
        })),
      };
    },

    /** The tenant's sessions newest first, one long iterator (the library reads in batches). */
    *exportSessions(tenant, now) {
      for (const row of exportRows.iterate(tenant)) yield sessionOf(row, now);
    },

    terminateIds: (tenant, ids, now) => endByIds(tenant, ids, now),

    sweep: (now) => sweep.all(now),
  };
}
