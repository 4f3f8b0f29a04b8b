#!/usr/bin/env node
/**
 * `pnpm demo`: an admin server on the embedded SQLite store, filled on first start with
 * realistic sessions, every dialect's router mounted. Options: --port (3000), --db
 * (./demo.db), --sessions (100000), --seed (1). The admin key is DEMO_API_KEY.
 */
import { parseArgs } from "node:util";
import { createDemo } from "./app.mjs";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "3000" },
    db: { type: "string", default: "./demo.db" },
    sessions: { type: "string", default: "100000" },
    seed: { type: "string", default: "1" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log("usage: pnpm demo [--port 3000] [--db ./demo.db] [--sessions 100000] [--seed 1]");
  process.exit(0);
}

/**
 * @param {string} name
 * @param {string} text
 * @param {number} min
 */
const integer = (name, text, min) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    console.error(`--${name} must be an integer of at least ${min}, got '${text}'`);
    process.exit(2);
  }
  return value;
};

const port = integer("port", values.port, 0);
const apiKey = process.env.DEMO_API_KEY || "demo-admin-key";
const demo = await createDemo({
  dbPath: values.db,
  sessions: integer("sessions", values.sessions, 0),
  seed: integer("seed", values.seed, 0),
  apiKey,
  log: (line) => console.log(line),
});

const server = demo.app.listen(port, "127.0.0.1", () => {
  const { port: bound } = /** @type {import("node:net").AddressInfo} */ (server.address());
  const base = `http://127.0.0.1:${bound}`;
  console.log(demo.describe(base));
});

const shutdown = async () => {
  server.close();
  await demo.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
