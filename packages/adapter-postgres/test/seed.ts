/**
 * A large sessions table for the plan tests, written by one INSERT … SELECT over
 * generate_series, then VACUUM ANALYZE so the planner has statistics and the visibility map a
 * long-lived table would have. 200,000 rows in 20 tenants (10,000 each) of 100 users each,
 * created one every 26 s over the 60 days before `now`; the newest 5% are open (every tenth of
 * them lapsed), the rest ended — roughly the shape of a large deployment. User `u7` of tenant
 * 1007 is a busy one (a service account): half its tenant's sessions, 5,000.
 */
import type pg from "pg";

export const SEEDED_ROWS = 200_000;
export const SEEDED_TENANTS = 20;
/** Tenant ids are "1000" … "1019"; user ids "u0" … "u1999" (user k belongs to tenant 1000 + k % 20). */
export const seededTenant = (k: number) => String(1000 + (k % SEEDED_TENANTS));

export async function seedSessions(pool: pg.Pool, table: string, now: number): Promise<void> {
  await pool.query(
    `INSERT INTO ${table} (tenant_id, id, session_identifier, user_id, user_login, user_full_name,
       user_email, client_type, access_type, client_ip, client_ip_key, server_ip, server_ip_key,
       user_agent, client_info, city, country, license_edition, status, end_reason, created_at,
       last_activity_at, expires_at, absolute_expires_at, ended_at, attributes, secret_hash)
     SELECT (1000 + i % 20)::text, 's' || lpad(i::text, 7, '0'), 'corr-' || i,
       CASE WHEN i % 40 = 7 THEN 'u7' ELSE 'u' || (i % 2000) END,
       CASE WHEN i % 40 = 7 THEN 'user7' ELSE 'user' || (i % 2000) END, NULL, NULL,
       CASE WHEN i % 3 = 0 THEN 'Integration' ELSE 'UI' END, 'UI', NULL, NULL, NULL, NULL, NULL,
       '{"browser":"Firefox","os":null,"device":null}', NULL, (ARRAY['PT','US','DE'])[i % 3 + 1],
       (ARRAY['Enterprise','Team',NULL])[i % 3 + 1],
       CASE WHEN open THEN 'ACTIVE' ELSE 'REVOKED' END, CASE WHEN open THEN NULL ELSE 'REVOKED' END,
       created, created + (i % 7) * 60000,
       CASE WHEN NOT open THEN created + 1800000 WHEN i % 10 = 1 THEN $1::bigint - 1000
            ELSE $1::bigint + (i % 50) * 60000 END,
       CASE WHEN open THEN $1::bigint + 36000000 ELSE created + 36000000 END,
       CASE WHEN open THEN NULL ELSE created + 60000 END,
       NULL, repeat('0', 64)
     FROM (SELECT i, $1::bigint - i::bigint * 26000 AS created, i < $2 / 20 AS open
           FROM generate_series(0, $2 - 1) AS i) AS seed`,
    [now, SEEDED_ROWS],
  );
  await pool.query(`VACUUM ANALYZE ${table}`);
}
