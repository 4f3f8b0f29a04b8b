import { createTestApp, KEYS } from "../test-support/octane-app.js";
import { describeSeed004 } from "./seed004-cases.js";

describeSeed004("memory store:", async () => {
  const t = await createTestApp();
  return {
    app: t.app,
    ledger: t.ledger,
    adminKey: KEYS.admin,
    all: (space) => t.all(space),
    now: () => t.now(),
    close: () => t.close(),
  };
});
