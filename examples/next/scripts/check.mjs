/**
 * The example end to end, as a host runs it: `next build`, then `next start` on a free port,
 * one request to a route of each of the five dialects (200 and the body's shape), then the
 * server is stopped. `pnpm check:next` at the root runs it (after `pnpm build`, which builds
 * the packages the example imports). Exits non-zero, saying what failed, when anything does.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL("..", import.meta.url));
const nextBin = fileURLToPath(new URL("../node_modules/next/dist/bin/next", import.meta.url));
// No telemetry, and nothing of the build may need the network.
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
const KEY = process.env.ADMIN_API_KEY ?? "dev-admin-key-change-me";
const STARTUP_TRIES = 600; // 100 ms apart: up to a minute on a loaded machine.

async function freePort() {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const openSessions = encodeURIComponent('"(end_time=null)"');
const basic = `Basic ${Buffer.from(`admin:${KEY}`).toString("base64")}`;
const json = { "Content-Type": "application/json" };

/** One route of each dialect, and what its answer must look like. */
const ROUTES = [
  {
    dialect: "Octane",
    path: `/api/admin/api/shared_spaces/1001/sessions?query=${openSessions}&limit=5`,
    init: { headers: { "X-API-KEY": KEY } },
    check(body) {
      assert.equal(typeof body.total_count, "number");
      assert.ok(Array.isArray(body.data) && body.data.length > 0, "open sessions listed");
    },
  },
  {
    dialect: "Cognite",
    path: "/api/admin/api/v1/orgs/space-1001/principals/220001/sessions?limit=5",
    init: { headers: { Authorization: `Bearer ${KEY}` } },
    check: (body) => assert.ok(Array.isArray(body.items), "items is a list"),
  },
  {
    dialect: "LogScale",
    path: "/api/admin/graphql",
    init: {
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, ...json },
      body: JSON.stringify({ query: "{ sessions(limit: 5) { totalResults } }" }),
    },
    check: (body) => assert.ok(body.data.sessions.totalResults > 0, "sessions counted"),
  },
  {
    dialect: "Formal",
    path: "/api/admin/core.v1.SessionsService/ListSessionsV2",
    init: { method: "POST", headers: { "X-API-KEY": KEY, ...json }, body: '{"limit":5}' },
    check: (body) => assert.ok(Array.isArray(body.sessions) && body.sessions.length > 0),
  },
  {
    dialect: "SAYMON",
    path: "/api/admin/node/api/users/session/log?limit=5",
    init: { headers: { Authorization: basic } },
    check: (body) => assert.ok(Array.isArray(body) && body.length > 0, "a list of records"),
  },
];

function build() {
  const result = spawnSync(process.execPath, [nextBin, "build"], {
    cwd: here,
    env,
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error(`next build failed (exit ${result.status})`);
}

async function main() {
  build();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = spawn(
    process.execPath,
    [nextBin, "start", "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: here,
      env,
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  let exited = null;
  server.once("exit", (code, signal) => {
    exited = signal ?? code;
  });
  try {
    let ready = false;
    for (let i = 0; i < STARTUP_TRIES && !ready && exited === null; i++) {
      ready = await fetch(`${origin}/`).then(
        (res) => res.ok,
        () => false,
      );
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!ready) throw new Error(`next start did not answer on ${origin} (exit: ${exited})`);
    for (const route of ROUTES) {
      const res = await fetch(`${origin}${route.path}`, route.init);
      const text = await res.text();
      assert.equal(res.status, 200, `${route.dialect}: ${res.status} ${text.slice(0, 300)}`);
      route.check(JSON.parse(text));
      console.log(`check:next: ${route.dialect} ${route.path.split("?")[0]} → 200`);
    }
    const unknown = await fetch(`${origin}/api/admin/nothing`, { headers: { "X-API-KEY": KEY } });
    assert.equal(unknown.status, 404, "a path no dialect claims is a 404");
    console.log("check:next: every dialect answered through Next.js");
  } finally {
    if (exited === null) {
      server.kill("SIGTERM");
      await once(server, "exit");
    }
  }
}

main().catch((error) => {
  console.error(`check:next: ${error.message}`);
  process.exitCode = 1;
});
