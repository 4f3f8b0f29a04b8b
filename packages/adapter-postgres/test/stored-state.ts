/** What multiprocess.test.ts and faults.test.ts read back from the database after a run. */
import type pg from "pg";
import { TENANT } from "./multiprocess-shared.js";

export interface SessionRow {
  id: string;
  user_id: string;
  status: string;
  ended_at: string | null;
  ended_by: string | null;
  expires_at: string;
  last_activity_at: string;
}

const table = (schema: string, name: string) => `"${schema}".session_ledger_${name}`;

export async function sessionRows(pool: pg.Pool, schema: string): Promise<SessionRow[]> {
  const { rows } = await pool.query<SessionRow>(
    `SELECT id, user_id, status, ended_at, ended_by, expires_at, last_activity_at
       FROM ${table(schema, "sessions")}`,
  );
  return rows;
}

/** How many sessions each user holds open now. */
export function openPerUser(rows: readonly SessionRow[]): Map<string, number> {
  const open = new Map<string, number>();
  const now = Date.now();
  for (const row of rows) {
    if (row.ended_at === null && Number(row.expires_at) > now) {
      open.set(row.user_id, (open.get(row.user_id) ?? 0) + 1);
    }
  }
  return open;
}

/** A task's stored state, the ids it was given, and the sessions its batches ended. */
export async function storedTask(pool: pg.Pool, schema: string, id: string) {
  const { rows } = await pool.query<{ status: string; progress: number; payload: string }>(
    `SELECT status, progress, payload FROM ${table(schema, "tasks")} AS t
       JOIN ${table(schema, "task_payloads")} AS p ON p.tenant_id = t.tenant_id AND p.task_id = t.id
      WHERE t.tenant_id = $1 AND t.id = $2`,
    [TENANT, id],
  );
  const { rows: endedBy } = await pool.query<{ id: string }>(
    `SELECT id FROM ${table(schema, "sessions")} WHERE tenant_id = $1 AND ended_by = $2`,
    [TENANT, id],
  );
  const task = rows[0];
  return {
    status: task?.status,
    progress: Number(task?.progress),
    ids: task ? (JSON.parse(task.payload) as { ids: string[] }).ids : [],
    endedBy: new Set(endedBy.map((row) => row.id)),
  };
}
