/**
 * One of the processes of multiprocess.test.ts: creates, validates (touches) and terminates
 * sessions in a shared database file until its deadline, then reports what the store
 * acknowledged. Bundled from source by the test and run with plain `node`.
 */
import { createSessionLedger, type Filter } from "@session-ledger/core";
import Database from "better-sqlite3";
import { createSqliteStore } from "../src/index.js";
import { CAP, TENANT, USERS, type WorkerReport } from "./multiprocess-shared.js";

const [file, workerArg, durationArg, mode] = process.argv.slice(2);
const worker = Number(workerArg);
const deadline = Date.now() + Number(durationArg);

const database = new Database(file!);
const store = createSqliteStore({ database });
const report: WorkerReport = {
  worker,
  created: [],
  touched: {},
  ended: [],
  capViolations: [],
  operations: 0,
  errors: [],
};
const ledger = createSessionLedger({
  store,
  policyCacheMs: 0,
  hooks: {
    onEvent(event) {
      if (event.type === "replaced" || event.type === "revoked" || event.type === "logged_out") {
        report.ended.push(event.sessionId);
      }
    },
  },
});

const pick = <T>(items: readonly T[]): T | undefined =>
  items[Math.floor(Math.random() * items.length)];
const userIs = (id: string): Filter => ({
  kind: "compare",
  field: "user.id",
  op: "EQ",
  value: { kind: "text", value: id },
});
const active: Filter = {
  kind: "compare",
  field: "status",
  op: "EQ",
  value: { kind: "text", value: "ACTIVE" },
};

async function main() {
  await store.migrate();
  if (mode === "migrate-only") {
    database.close();
    process.send?.(report, () => process.exit(0));
    return;
  }
  const tokens = new Map<string, string>();
  let sequence = 0;
  while (Date.now() < deadline) {
    report.operations++;
    const roll = Math.random();
    try {
      if (roll < 0.4 || tokens.size === 0) {
        const user = `u${Math.floor(Math.random() * USERS)}`;
        const { session, token } = await ledger.create({
          tenantId: TENANT,
          user: { id: user, login: user },
          sessionIdentifier: `w${worker}-${sequence++}`,
        });
        report.created.push(session.id);
        tokens.set(session.id, token);
        // Every committed state must respect the cap, not just the final one.
        const open = await ledger.count(TENANT, {
          kind: "and",
          items: [active, { kind: "user", filter: userIs(user) }],
        });
        if (open > CAP) report.capViolations.push(`${user} held ${open} open sessions`);
      } else if (roll < 0.75) {
        const id = pick([...tokens.keys()])!;
        const session = await ledger.validate(TENANT, tokens.get(id)!);
        if (session) report.touched[id] = session.lastActivityAt;
        else tokens.delete(id);
      } else if (roll < 0.93) {
        // Terminate someone's open session, often another process's.
        const page = await ledger.list(TENANT, { filter: active, limit: 20 });
        const target = pick(page.items.map((s) => s.id));
        if (target) await ledger.terminateSessions(TENANT, [target, pick([...tokens.keys()])!]);
      } else if (roll < 0.97) {
        await ledger.logout(TENANT, pick([...tokens.keys()])!);
      } else {
        await ledger.terminateUserSessions(TENANT, `u${Math.floor(Math.random() * USERS)}`);
        await ledger.expireDue();
      }
    } catch (error) {
      report.errors.push(String((error as Error)?.stack ?? error));
    }
  }
  database.close();
  process.send?.(report, () => process.exit(0));
}

main().catch((error: unknown) => {
  report.errors.push(String((error as Error)?.stack ?? error));
  process.send?.(report, () => process.exit(1));
});
