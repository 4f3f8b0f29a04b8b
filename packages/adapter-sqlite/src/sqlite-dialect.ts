/** The SQL compiler as SQLite spells it. */
import { createSqlCompiler } from "@session-ledger/sql";
import { type SqlBool, sql } from "kysely";

export const compiler = createSqlCompiler({
  true: sql<SqlBool>`1`,
  false: sql<SqlBool>`0`,
  same: (expr, value) => sql<SqlBool>`(${expr} IS ${value})`,
  // SQLite sorts NULL lowest by itself, and its indexes are in that order.
  orderItem: (expr, direction) => sql`${expr} ${sql.raw(direction)}`,
  // One JSON parameter carries any number of ids: no bound-variable limit, no SQL per id.
  inList: (expr, values) =>
    sql<SqlBool>`${expr} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`,
  // SQLite takes bare columns from the row holding a query's only max(): the newest row by
  // (created_at, id), as one fixed-width text key (the offset keeps negative times in order).
  // One grouping pass, where row_number() sorted every matching row.
  newestOfUser: [
    sql`user_login`.as("login"),
    sql`user_full_name`.as("full_name"),
    sql`max(printf('%020d', created_at + 9007199254740991) || id)`.as("newest"),
  ],
});

/**
 * A session row as the JSON of its `SessionRecord`, built by SQLite itself (`json_object` runs
 * in C). Listing pages and export batches read this one column: parsing one JSON text is the
 * cheapest way to get a page of records out of a worker thread and into the host's (a page of
 * 101 sessions: 0.36 ms on the worker and 0.21 ms to parse, against 0.76 ms just to have
 * better-sqlite3 build the row objects). It must say exactly what `fromSessionRow` of
 * `@session-ledger/sql` says; the conformance and differential suites compare the two paths.
 */
export const SESSION_RECORD_JSON = sql<string>`json_object(
  'id', id, 'tenantId', tenant_id, 'sessionIdentifier', session_identifier,
  'user', json_object('id', user_id, 'login', user_login, 'fullName', user_full_name, 'email', user_email),
  'clientType', client_type, 'accessType', access_type, 'clientIp', client_ip, 'serverIp', server_ip,
  'userAgent', user_agent, 'clientInfo', json(client_info), 'city', city, 'country', country,
  'licenseEdition', license_edition, 'status', status, 'endReason', end_reason,
  'createdAt', created_at, 'lastActivityAt', last_activity_at, 'expiresAt', expires_at,
  'absoluteExpiresAt', absolute_expires_at, 'endedAt', ended_at, 'attributes', json(attributes),
  'secretHash', secret_hash)`;
