#!/usr/bin/env node
/**
 * A host app per framework, built from the packed tarballs as a user would build it, each in a
 * directory of its own with only what that framework needs:
 *
 * - **alone**: `@session-ledger/core` and `@session-ledger/http` and nothing else. No framework
 *   may be installed with them, and the main entry and every adapter subpath (`/express`,
 *   `/fastify`, `/hono`, `/koa`, `/next`) must load without one: an adapter that imported its
 *   framework at run time would fail here. The handler then serves a bare `Request`.
 * - **express, fastify, hono, koa**: the framework at the version the workspace tests, the
 *   adapter's mount factory, a real server on 127.0.0.1, and one request through each of the
 *   five dialects (200 and the body's shape).
 * - **next**: a route module exporting `nextAdmin`'s handlers, called as Next.js calls them
 *   (a `Request` in, a `Response` out); `pnpm check:next` builds and serves a real Next.js app.
 *
 * Each app type-checks strictly (`strict: true`, `noUncheckedIndexedAccess`, and
 * `skipLibCheck: false`, so our declarations and the framework's are checked too) before it runs.
 * Needs a prior `pnpm build`. `pnpm check:packages` runs it.
 *
 *   node scripts/framework-hosts.mjs [--keep] [--only alone,express,...]
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { packAll } from "./pack-all.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: flags } = parseArgs({
  options: { keep: { type: "boolean" }, only: { type: "string" } },
});

/** The version of a package the workspace's own tests run against. */
function testedVersion(name) {
  const manifest = join(root, "packages", "http", "node_modules", name, "package.json");
  return JSON.parse(readFileSync(manifest, "utf8")).version;
}

const FRAMEWORKS = ["express", "fastify", "hono", "koa", "next"];
const KEY = "packed-host-admin-key-0123456789abcdef";

/** What every app shares: a ledger with three open sessions of one user, and the requests. */
const COMMON = `import assert from "node:assert/strict";
import { createMemoryStore, createSessionLedger, createTaskRunner } from "@session-ledger/core";

export const KEY = "${KEY}";
export const keys = {
  [KEY]: { id: "admin", tenants: ["1001", "space-1001"], permissions: ["sessions:read", "read-session-log"] },
} as const;

export async function makeLedger() {
  const store = createMemoryStore();
  const ledger = createSessionLedger({ store, cursorSecret: "packed-host-cursor-secret-0123456789abcdef" });
  const taskRunner = createTaskRunner({ ledger, store });
  // Octane's spaces are numbers and Cognite's orgs are names: one tenant of each.
  for (const tenantId of ["1001", "space-1001"]) {
    for (let i = 0; i < 3; i++) await login(tenantId);
  }
  return { ledger, taskRunner };

  function login(tenantId: string) {
    return ledger.create({
      tenantId,
      user: { id: "220001", login: "alice", fullName: "Alice Adams", email: "alice@acme.test" },
      clientIp: "203.0.113.7",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    });
  }
}

// The dialects whose paths name no tenant act in the one the header names.
const tenant = { "X-Tenant-Id": "1001" };
const json = { "Content-Type": "application/json", ...tenant };
const since = new Date(Date.now() - 86_400_000).toISOString();
const lastDay = encodeURIComponent(\`"creation_time>^\${since}^"\`);

/** One request per dialect, and what its answer must hold. */
const ROUTES: {
  dialect: string;
  path: string;
  init: RequestInit;
  check(body: any): void;
}[] = [
  {
    dialect: "Octane",
    path: \`/api/shared_spaces/1001/sessions?query=\${lastDay}\`,
    init: { headers: { "X-API-KEY": KEY } },
    check: (body) => assert.equal(body.total_count, 3),
  },
  {
    dialect: "Cognite",
    path: "/api/v1/orgs/space-1001/principals/220001/sessions",
    init: { headers: { Authorization: \`Bearer \${KEY}\` } },
    check: (body) => assert.equal(body.items.length, 3),
  },
  {
    dialect: "LogScale",
    path: "/graphql",
    init: {
      method: "POST",
      headers: { Authorization: \`Bearer \${KEY}\`, ...json },
      body: JSON.stringify({ query: "{ sessions(limit: 5) { totalResults } }" }),
    },
    check: (body) => assert.equal(body.data.sessions.totalResults, 3),
  },
  {
    dialect: "Formal",
    path: "/core.v1.SessionsService/ListSessionsV2",
    init: { method: "POST", headers: { "X-API-KEY": KEY, ...json }, body: '{"limit":5}' },
    check: (body) => assert.equal(body.sessions.length, 3),
  },
  {
    dialect: "SAYMON",
    path: "/node/api/users/session/log?limit=5",
    init: { headers: { ...tenant, Authorization: \`Basic \${Buffer.from(\`admin:\${KEY}\`).toString("base64")}\` } },
    check: (body) => assert.equal(body.length, 3),
  },
];

/** Sends every dialect's request through \`send\` and checks each answer. */
export async function requestEveryDialect(
  framework: string,
  send: (path: string, init: RequestInit) => Promise<Response>,
): Promise<void> {
  for (const route of ROUTES) {
    const res = await send(route.path, route.init);
    const text = await res.text();
    assert.equal(res.status, 200, \`\${framework} \${route.dialect}: \${res.status} \${text.slice(0, 300)}\`);
    route.check(JSON.parse(text));
  }
  const unknown = await send("/nothing-here", { headers: { "X-API-KEY": KEY } });
  assert.equal(unknown.status, 404, \`\${framework}: a path no route claims is a 404\`);
  console.log(\`\${framework}: every dialect answered 200\`);
}
`;

/** Each framework's app: its packages and its entry file. */
const APPS = {
  alone: {
    dependencies: [],
    devDependencies: [],
    main: `import { createAdminHandler } from "@session-ledger/http";
import { apiKeyAuthenticator } from "@session-ledger/http";
import { makeLedger, keys, requestEveryDialect } from "./common.js";

// Every adapter subpath loads with no framework installed.
for (const subpath of ["express", "fastify", "hono", "koa", "next"]) {
  const adapter: Record<string, unknown> = await import(\`@session-ledger/http/\${subpath}\`);
  if (typeof adapter.apiKeyAuthenticator !== "function") throw new Error(\`/\${subpath} has no apiKeyAuthenticator\`);
}
const handler = createAdminHandler({ ...(await makeLedger()), authenticate: apiKeyAuthenticator({ keys }) });
await requestEveryDialect("alone", async (path, init) => {
  const answer = await handler(new Request(\`http://host.test\${path}\`, init));
  return answer ?? new Response(null, { status: 404 });
});
`,
  },
  express: {
    dependencies: [`express@${testedVersion("express")}`],
    devDependencies: [`@types/express@${testedVersion("@types/express")}`],
    main: `import type { AddressInfo } from "node:net";
import express from "express";
import { apiKeyAuthenticator, createAdminRouter } from "@session-ledger/http/express";
import { makeLedger, keys, requestEveryDialect } from "./common.js";

const app = express();
app.set("trust proxy", "loopback");
app.use(createAdminRouter({ ...(await makeLedger()), authenticate: apiKeyAuthenticator({ keys }) }));
const server = app.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const base = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}\`;
await requestEveryDialect("express ${testedVersion("express")}", (path, init) => fetch(base + path, init));
server.close();
`,
  },
  fastify: {
    dependencies: [`fastify@${testedVersion("fastify")}`],
    devDependencies: [],
    main: `import Fastify from "fastify";
import { apiKeyAuthenticator, createAdminPlugin } from "@session-ledger/http/fastify";
import { makeLedger, keys, requestEveryDialect } from "./common.js";

const app = Fastify();
await app.register(createAdminPlugin({ ...(await makeLedger()), authenticate: apiKeyAuthenticator({ keys }) }));
const base = await app.listen({ port: 0, host: "127.0.0.1" });
await requestEveryDialect("fastify ${testedVersion("fastify")}", (path, init) => fetch(base + path, init));
await app.close();
`,
  },
  hono: {
    dependencies: [
      `hono@${testedVersion("hono")}`,
      `@hono/node-server@${testedVersion("@hono/node-server")}`,
    ],
    devDependencies: [],
    main: `import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono } from "hono";
import { apiKeyAuthenticator, createAdminMiddleware } from "@session-ledger/http/hono";
import { makeLedger, keys, requestEveryDialect } from "./common.js";

const app = new Hono();
app.use(
  createAdminMiddleware({
    ...(await makeLedger()),
    authenticate: apiKeyAuthenticator({ keys }),
    ip: (c) => getConnInfo(c).remote.address ?? null,
  }),
);
app.get("/", (c) => c.text("host's own route"));
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
await new Promise((resolve) => server.once("listening", resolve));
const base = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}\`;
await requestEveryDialect("hono ${testedVersion("hono")}", (path, init) => fetch(base + path, init));
server.close();
`,
  },
  koa: {
    dependencies: [`koa@${testedVersion("koa")}`],
    devDependencies: [`@types/koa@${testedVersion("@types/koa")}`],
    main: `import type { AddressInfo } from "node:net";
import Koa from "koa";
import { apiKeyAuthenticator, createAdminMiddleware } from "@session-ledger/http/koa";
import { makeLedger, keys, requestEveryDialect } from "./common.js";

const app = new Koa();
app.use(createAdminMiddleware({ ...(await makeLedger()), authenticate: apiKeyAuthenticator({ keys }) }));
const server = app.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const base = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}\`;
await requestEveryDialect("koa ${testedVersion("koa")}", (path, init) => fetch(base + path, init));
server.close();
`,
  },
  next: {
    dependencies: [],
    devDependencies: [],
    // app/api/admin/[...path]/route.ts in a Next.js app; Next calls the exports with a Request.
    route: `import { apiKeyAuthenticator, nextAdmin } from "@session-ledger/http/next";
import { makeLedger, keys } from "./common.js";

export const { GET, HEAD, POST, PUT, PATCH, DELETE } = nextAdmin({
  ...(await makeLedger()),
  authenticate: apiKeyAuthenticator({ keys }),
  basePath: "/api/admin",
});
`,
    main: `import * as route from "./route.js";
import { requestEveryDialect } from "./common.js";

const handlers: Record<string, (request: Request) => Promise<Response>> = route;
await requestEveryDialect("next route handlers", (path, init) => {
  const method = init.method ?? "GET";
  const handler = handlers[method];
  if (!handler) throw new Error(\`route.ts exports no \${method}\`);
  return handler(new Request(\`http://host.test/api/admin\${path}\`, init));
});
`,
  },
};

const run = (command, args, cwd) =>
  execFileSync(command, args, {
    cwd,
    // Quiet and cache-first; neither changes what is installed.
    env: {
      ...process.env,
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_prefer_offline: "true",
      npm_config_update_notifier: "false",
    },
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });

const only = flags.only?.split(",");
const dir = mkdtempSync(join(tmpdir(), "session-ledger-frameworks-"));
try {
  const packed = packAll(join(dir, "packed"));
  const ours = [packed["@session-ledger/core"], packed["@session-ledger/http"]];
  for (const [name, app] of Object.entries(APPS)) {
    if (only && !only.includes(name)) continue;
    const host = join(dir, name);
    mkdirSync(join(host, "src"), { recursive: true });
    writeFileSync(
      join(host, "package.json"),
      JSON.stringify({ name: `${name}-host`, private: true, type: "module" }),
    );
    run("npm", ["install", ...ours, ...app.dependencies], host);
    run(
      "npm",
      ["install", "--save-dev", "typescript@~5.9", "@types/node@^20", ...app.devDependencies],
      host,
    );
    const strays = FRAMEWORKS.filter(
      (framework) =>
        framework !== name && existsSync(join(host, "node_modules", framework, "package.json")),
    );
    if (strays.length > 0) {
      throw new Error(`${name}: installing it also installed ${strays.join(", ")}`);
    }
    writeFileSync(
      join(host, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          skipLibCheck: false,
          noUncheckedIndexedAccess: true,
          outDir: "dist",
          types: ["node"],
        },
        include: ["src"],
      }),
    );
    writeFileSync(join(host, "src", "common.ts"), COMMON);
    if (app.route) writeFileSync(join(host, "src", "route.ts"), app.route);
    writeFileSync(join(host, "src", "main.ts"), app.main);
    run(join(host, "node_modules", ".bin", "tsc"), ["-p", "."], host);
    process.stdout.write(run("node", ["dist/main.js"], host));
  }
  console.log(
    "framework hosts: each built from the packed tarballs, strict tsc clean, every dialect served",
  );
} finally {
  if (flags.keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
