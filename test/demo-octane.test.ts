/**
 * Seed 004's examples against the demo itself: the app `pnpm demo` serves, on its SQLite
 * file, filled by the demo's own generator.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Session } from "@session-ledger/core";
import { createDemo } from "../packages/express-middleware/demo/app.mjs";
import { describeSeed004 } from "../packages/express-middleware/src/octane/seed004-cases.js";

// Within 30 days of the seed's export range start, as Octane's creation-range rule needs.
const NOW = Date.parse("2026-02-20T12:00:00.000Z");

describeSeed004("demo on SQLite:", async () => {
  const dir = mkdtempSync(join(tmpdir(), "session-ledger-demo-"));
  const demo = await createDemo({
    dbPath: join(dir, "demo.db"),
    sessions: 4000,
    seed: 7,
    now: () => NOW,
  });
  return {
    app: demo.app,
    ledger: demo.ledger,
    adminKey: "demo-admin-key",
    now: () => NOW,
    async all(space) {
      const sessions: Session[] = [];
      for await (const session of demo.ledger.export(space)) sessions.push(session);
      return sessions;
    },
    async close() {
      await demo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
