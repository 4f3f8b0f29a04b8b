#!/usr/bin/env node
/**
 * `pnpm demo`: an admin server on the embedded SQLite store, every dialect's router mounted,
 * over the sessions of simulated users who keep logging in and out while it runs. Builds the
 * packages it runs on first when their dist/ is not current. `pnpm demo --help` lists the
 * options; the admin key is DEMO_API_KEY and the read-only one DEMO_READONLY_KEY.
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { buildStalePackages } from "./build-stale.mjs";

const USAGE = `usage: pnpm demo [options]   (or pnpm demo -- [options])
  --port N       the port on 127.0.0.1 (default: $PORT, else 3000; 0 picks a free one)
  --db FILE      the SQLite file (default examples/demo/demo.db)
  --sessions N   about how many sessions the simulated users start a year (default 100000)
  --seed N       the simulation's seed (default 1)
  --fresh        delete the database first and fill it again
  --framework F  the framework that serves the routes: express (default), fastify, hono, koa
  -h, --help
environment: DEMO_API_KEY (the admin key, default demo-admin-key-local), DEMO_READONLY_KEY
  (may read and export, default demo-readonly-key-local), DEMO_CURSOR_SECRET; keys have 16
  characters at least`;

/**
 * @param {string} message
 * @returns {never}
 */
const fail = (message) => {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
};

function options() {
  try {
    return parseArgs({
      // `pnpm demo -- --port 3001` hands node a lone `--` first: both spellings work.
      args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--")),
      options: {
        port: { type: "string", default: process.env.PORT || "3000" },
        db: { type: "string" },
        sessions: { type: "string", default: "100000" },
        seed: { type: "string", default: "1" },
        fresh: { type: "boolean", default: false },
        framework: { type: "string", default: "express" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    return fail(/** @type {Error} */ (error).message);
  }
}

const values = options();
if (values.help) {
  console.log(USAGE);
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
    fail(`--${name} must be an integer of at least ${min}, got '${text}'`);
  }
  return value;
};

const port = integer("port", values.port, 0);
const FRAMEWORKS = ["express", "fastify", "hono", "koa"];
if (!FRAMEWORKS.includes(values.framework)) {
  fail(`--framework must be one of ${FRAMEWORKS.join(", ")}, got '${values.framework}'`);
}
const sessions = integer("sessions", values.sessions, 0);
const seed = integer("seed", values.seed, 0);
/** @param {string} line */
const log = (line) => console.log(line);

try {
  buildStalePackages(log);
} catch (error) {
  console.error(/** @type {Error} */ (error).message);
  process.exit(1);
}
// Loaded after the build: it imports the packages' dist/.
const { createDemo, DEFAULT_API_KEY, DEFAULT_READONLY_KEY } = await import("./app.mjs");
let demo;
try {
  demo = await createDemo({
    dbPath: values.db,
    fresh: values.fresh,
    sessions,
    seed,
    apiKey: process.env.DEMO_API_KEY || DEFAULT_API_KEY,
    readOnlyKey: process.env.DEMO_READONLY_KEY || DEFAULT_READONLY_KEY,
    log,
    framework: /** @type {"express" | "fastify" | "hono" | "koa"} */ (values.framework),
  });
} catch (error) {
  // A refused key (DEMO_API_KEY too short…): the reason, without a stack.
  console.error(/** @type {Error} */ (error).message);
  process.exit(1);
}

const server = createServer(demo.app).listen(port, "127.0.0.1", () => {
  const { port: bound } = /** @type {import("node:net").AddressInfo} */ (server.address());
  console.log(`(served by ${demo.framework})`);
  console.log(demo.describe(`http://127.0.0.1:${bound}`));
});
server.on("error", (error) => {
  console.error(`cannot listen on 127.0.0.1:${port}: ${error.message}`);
  process.exit(1);
});

const shutdown = async () => {
  server.close();
  await demo.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
