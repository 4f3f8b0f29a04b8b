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
 *   five dialects (200 and the body's shape); then the adapter's own login tracking: a login
 *   that sets the cookie, `GET /me` by bearer token and by cookie, and a 401 without either.
 * - **next**: route modules exporting `nextAdmin`'s handlers and the tracking functions,
 *   called as Next.js calls them (a `Request` in, a `Response` out); `pnpm check:next` builds
 *   and serves a real Next.js app.
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

export const USER = { id: "u1", login: "alice" };

/**
 * The host's own login and \`GET /me\` through the adapter's tracking: the login answers the
 * token and sets the session cookie; /me knows the user by bearer token and by cookie, and
 * answers 401 without either.
 */
export async function checkTracking(
  framework: string,
  send: (path: string, init?: RequestInit) => Promise<Response>,
): Promise<void> {
  const login = await send("/login", { method: "POST" });
  const body = (await login.json()) as { token?: string };
  assert.equal(login.status, 200, \`\${framework} /login: \${login.status} \${JSON.stringify(body)}\`);
  assert.ok(typeof body.token === "string", \`\${framework} /login answers the token\`);
  const cookie = login.headers.get("set-cookie")?.split(";")[0];
  assert.ok(cookie?.startsWith("sl_session="), \`\${framework} /login sets the cookie: \${cookie}\`);
  const presented: Record<string, string>[] = [
    { Authorization: \`Bearer \${body.token}\` },
    { Cookie: cookie! },
  ];
  for (const headers of presented) {
    const me = await send("/me", { headers });
    const seen = (await me.json()) as { login?: string };
    assert.equal(me.status, 200, \`\${framework} /me: \${me.status} \${JSON.stringify(seen)}\`);
    assert.equal(seen.login, USER.login);
  }
  const anonymous = await send("/me");
  assert.equal(anonymous.status, 401, \`\${framework}: /me without a session is a 401\`);
  console.log(\`\${framework}: login tracking answered /login, /me by token and cookie, and 401\`);
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
import {
  apiKeyAuthenticator,
  createAdminRouter,
  issueSession,
  sessionTracking,
} from "@session-ledger/http/express";
import { checkTracking, makeLedger, keys, requestEveryDialect, USER } from "./common.js";

const { ledger, taskRunner } = await makeLedger();
const app = express();
app.set("trust proxy", "loopback");
app.use(createAdminRouter({ ledger, taskRunner, authenticate: apiKeyAuthenticator({ keys }) }));
app.post("/login", async (req, res) => {
  const { token } = await issueSession(req, res, { ledger, user: USER });
  res.json({ token });
});
app.get("/me", sessionTracking({ ledger, required: true }), (req, res) => {
  res.json({ login: req.sessionLedger?.session.user.login });
});
const server = app.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const base = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}\`;
await requestEveryDialect("express ${testedVersion("express")}", (path, init) => fetch(base + path, init));
await checkTracking("express ${testedVersion("express")}", (path, init) => fetch(base + path, init));
server.close();
`,
  },
  fastify: {
    dependencies: [`fastify@${testedVersion("fastify")}`],
    devDependencies: [],
    main: `import Fastify from "fastify";
import {
  apiKeyAuthenticator,
  createAdminPlugin,
  issueSession,
  sessionTracking,
} from "@session-ledger/http/fastify";
import { checkTracking, makeLedger, keys, requestEveryDialect, USER } from "./common.js";

const { ledger, taskRunner } = await makeLedger();
const app = Fastify();
await app.register(createAdminPlugin({ ledger, taskRunner, authenticate: apiKeyAuthenticator({ keys }) }));
app.post("/login", async (request, reply) => {
  const { token } = await issueSession(request, reply, { ledger, user: USER });
  return { token };
});
await app.register(async (users) => {
  await users.register(sessionTracking({ ledger, required: true }));
  users.get("/me", async (request) => ({ login: request.sessionLedger?.session.user.login }));
});
const base = await app.listen({ port: 0, host: "127.0.0.1" });
await requestEveryDialect("fastify ${testedVersion("fastify")}", (path, init) => fetch(base + path, init));
await checkTracking("fastify ${testedVersion("fastify")}", (path, init) => fetch(base + path, init));
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
import {
  apiKeyAuthenticator,
  createAdminMiddleware,
  issueSession,
  sessionTracking,
} from "@session-ledger/http/hono";
import { checkTracking, makeLedger, keys, requestEveryDialect, USER } from "./common.js";

const { ledger, taskRunner } = await makeLedger();
const app = new Hono();
app.post("/login", async (c) => {
  const clientIp = getConnInfo(c).remote.address ?? null;
  const { token } = await issueSession(c, { ledger, user: USER, clientIp });
  return c.json({ token });
});
app.get("/me", sessionTracking({ ledger, required: true }), (c) =>
  c.json({ login: c.get("sessionLedger")?.session.user.login }),
);
app.use(
  createAdminMiddleware({
    ledger,
    taskRunner,
    authenticate: apiKeyAuthenticator({ keys }),
    ip: (c) => getConnInfo(c).remote.address ?? null,
  }),
);
app.get("/", (c) => c.text("host's own route"));
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
await new Promise((resolve) => server.once("listening", resolve));
const base = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}\`;
await requestEveryDialect("hono ${testedVersion("hono")}", (path, init) => fetch(base + path, init));
await checkTracking("hono ${testedVersion("hono")}", (path, init) => fetch(base + path, init));
server.close();
`,
  },
  koa: {
    dependencies: [`koa@${testedVersion("koa")}`],
    devDependencies: [`@types/koa@${testedVersion("@types/koa")}`],
    main: `import type { AddressInfo } from "node:net";
import Koa from "koa";
import {
  apiKeyAuthenticator,
  createAdminMiddleware,
  issueSession,
  sessionTracking,
} from "@session-ledger/http/koa";
import { checkTracking, makeLedger, keys, requestEveryDialect, USER } from "./common.js";

const { ledger, taskRunner } = await makeLedger();
const app = new Koa();
app.use(createAdminMiddleware({ ledger, taskRunner, authenticate: apiKeyAuthenticator({ keys }) }));
const track = sessionTracking({ ledger, required: true });
app.use(async (ctx, next) => {
  if (ctx.method === "POST" && ctx.path === "/login") {
    const { token } = await issueSession(ctx, { ledger, user: USER });
    ctx.body = { token };
    return;
  }
  if (ctx.path !== "/me") return next();
  await track(ctx, async () => {
    ctx.body = { login: ctx.state.sessionLedger?.session.user.login };
  });
});
const server = app.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const base = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}\`;
await requestEveryDialect("koa ${testedVersion("koa")}", (path, init) => fetch(base + path, init));
await checkTracking("koa ${testedVersion("koa")}", (path, init) => fetch(base + path, init));
server.close();
`,
  },
  next: {
    dependencies: [],
    devDependencies: [],
    // app/api/admin/[...path]/route.ts in a Next.js app; Next calls the exports with a Request.
    route: `import {
  apiKeyAuthenticator,
  issueSession,
  nextAdmin,
  sessionTracking,
} from "@session-ledger/http/next";
import { makeLedger, keys, USER } from "./common.js";

const { ledger, taskRunner } = await makeLedger();

// app/api/admin/[...path]/route.ts
export const { GET, HEAD, POST, PUT, PATCH, DELETE } = nextAdmin({
  ledger,
  taskRunner,
  authenticate: apiKeyAuthenticator({ keys }),
  basePath: "/api/admin",
});

// app/login/route.ts
export async function login(request: Request): Promise<Response> {
  const { token, headers } = await issueSession(request, { ledger, user: USER });
  return Response.json({ token }, { headers });
}

// app/me/route.ts
const { sessionOf } = sessionTracking({ ledger, required: true });
export async function me(request: Request): Promise<Response> {
  const { sessionLedger, unauthenticated, headers } = await sessionOf(request);
  return unauthenticated ?? Response.json({ login: sessionLedger?.session.user.login }, { headers });
}
`,
    main: `import * as route from "./route.js";
import { checkTracking, requestEveryDialect } from "./common.js";

const { login, me, ...admin } = route;
const handlers: Record<string, (request: Request) => Promise<Response>> = admin;
await requestEveryDialect("next route handlers", (path, init) => {
  const method = init.method ?? "GET";
  const handler = handlers[method];
  if (!handler) throw new Error(\`route.ts exports no \${method}\`);
  return handler(new Request(\`http://host.test/api/admin\${path}\`, init));
});
await checkTracking("next route handlers", (path, init) => {
  const request = new Request(\`http://host.test\${path}\`, init);
  return path === "/login" ? login(request) : me(request);
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
    "framework hosts: each built from the packed tarballs, strict tsc clean, every dialect served, login tracking answered",
  );
} finally {
  if (flags.keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
