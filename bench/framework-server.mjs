/**
 * A host on one framework (Express, Fastify, Hono on @hono/node-server, or Koa), in its own
 * process, on the bench database: its users' route `GET /me` (Bearer token) answers the
 * session id, either through the adapter's native `sessionTracking` (required, fixed tenant)
 * or through a hand-written handler in the same framework that reads the header itself and
 * calls `ledger.validate`: what a host would write without the library's tracking. With
 * `admin`, the host also serves the Octane and LogScale routes through the framework's adapter
 * and `POST /bench/sweep`, with a started task runner, and reports its own event-loop delay
 * over IPC, as host-server.mjs does for the Express host of the host-latency table.
 *
 * The user's session is created at start-up through the ledger, on the data set's NOW; the
 * clock stays there, so `/me` never writes (no touch is due). "cpu" over IPC reports the
 * process's CPU time and the requests it has answered, so the harness can tell the server's
 * cost per request from the load generator's.
 *
 *   node bench/framework-server.mjs <db> <express|fastify|hono|koa> <tracking|hand> [admin]
 */
import { createServer } from "node:http";
import { ADMIN_KEY, ADMIN_TENANTS } from "./admin-workloads.mjs";
import { BENCH_TENANT, NOW } from "./dataset.mjs";
import { eventLoopDelay } from "./event-loop.mjs";
import { loadLibrary } from "./library.mjs";
import { channel, serve } from "./processes.mjs";

const FRAMEWORKS = ["express", "fastify", "hono", "koa"];
const MODES = ["tracking", "hand"];

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const REFUSED = { error: "SESSION_REQUIRED", message: "sign in first" };

/**
 * The hand-written check: the token of `Authorization: Bearer`, validated in the bench tenant;
 * null (a 401) without one or for one that is not open.
 */
async function handChecked(ledger, authorization) {
  const match = typeof authorization === "string" ? BEARER.exec(authorization) : null;
  return match ? ledger.validate(BENCH_TENANT, match[1]) : null;
}

/** Each framework's app: a Node request listener, `/me` as `mode` says, the admin if asked. */
const APPS = {
  async express(lib, { ledger, mode, admin }) {
    const app = lib.express();
    if (mode === "tracking") {
      app.get(
        "/me",
        lib.onExpress.sessionTracking({ ledger, tenant: BENCH_TENANT, required: true }),
        (req, res) => res.json({ id: req.sessionLedger.session.id }),
      );
    } else {
      app.get("/me", async (req, res, next) => {
        try {
          const session = await handChecked(ledger, req.headers.authorization);
          if (session === null) return res.status(401).json(REFUSED);
          res.json({ id: session.id });
        } catch (error) {
          next(error);
        }
      });
    }
    if (admin) {
      app.post("/bench/sweep", async (req, res) => {
        if (!(await admin.authenticate(req))) return res.status(401).end();
        res.json({ expired: await ledger.expireDue() });
      });
      app.use(lib.onExpress.createAdminRouter(admin.options));
    }
    return app;
  },

  async fastify(lib, { ledger, mode, admin }) {
    let listener;
    const app = lib.Fastify({
      serverFactory: (handle) => {
        listener = handle;
        return createServer(handle);
      },
    });
    if (admin) await app.register(lib.onFastify.createAdminPlugin(admin.options));
    if (mode === "tracking") {
      await app.register(async (users) => {
        await users.register(
          lib.onFastify.sessionTracking({ ledger, tenant: BENCH_TENANT, required: true }),
        );
        users.get("/me", async (request) => ({ id: request.sessionLedger.session.id }));
      });
    } else {
      app.get("/me", async (request, reply) => {
        const session = await handChecked(ledger, request.headers.authorization);
        if (session === null) return reply.code(401).send(REFUSED);
        return { id: session.id };
      });
    }
    if (admin) {
      app.post("/bench/sweep", async (request, reply) => {
        if (!(await admin.authenticate(request))) return reply.code(401).send();
        return { expired: await ledger.expireDue() };
      });
    }
    await app.ready();
    return listener;
  },

  async hono(lib, { ledger, mode, admin }) {
    const app = new lib.Hono();
    if (admin) app.use(lib.onHono.createAdminMiddleware(admin.options));
    if (mode === "tracking") {
      app.get(
        "/me",
        lib.onHono.sessionTracking({ ledger, tenant: BENCH_TENANT, required: true }),
        (c) => c.json({ id: c.get("sessionLedger").session.id }),
      );
    } else {
      app.get("/me", async (c) => {
        const session = await handChecked(ledger, c.req.header("authorization"));
        if (session === null) return c.json(REFUSED, 401);
        return c.json({ id: session.id });
      });
    }
    if (admin) {
      app.post("/bench/sweep", async (c) => {
        if (!(await admin.authenticate(c))) return c.body(null, 401);
        return c.json({ expired: await ledger.expireDue() });
      });
    }
    return lib.honoListener(app.fetch);
  },

  async koa(lib, { ledger, mode, admin }) {
    const app = new lib.Koa();
    if (admin) app.use(lib.onKoa.createAdminMiddleware(admin.options));
    const tracking = lib.onKoa.sessionTracking({ ledger, tenant: BENCH_TENANT, required: true });
    // One route, dispatched by hand as a host without a router would.
    app.use(async (ctx, next) => {
      if (ctx.method !== "GET" || ctx.path !== "/me") return next();
      if (mode === "tracking") {
        return tracking(ctx, async () => {
          ctx.body = { id: ctx.state.sessionLedger.session.id };
        });
      }
      const session = await handChecked(ledger, ctx.headers.authorization);
      if (session === null) {
        ctx.status = 401;
        ctx.body = REFUSED;
        return;
      }
      ctx.body = { id: session.id };
    });
    if (admin) {
      app.use(async (ctx, next) => {
        if (ctx.method !== "POST" || ctx.path !== "/bench/sweep") return next();
        if (!(await admin.authenticate(ctx))) {
          ctx.status = 401;
          return;
        }
        ctx.body = { expired: await ledger.expireDue() };
      });
    }
    return app.callback();
  },
};

async function main() {
  const [path, framework, mode, withAdmin] = process.argv.slice(2);
  if (!FRAMEWORKS.includes(framework) || !MODES.includes(mode)) {
    throw new Error(`usage: framework-server.mjs <db> <${FRAMEWORKS.join("|")}> <tracking|hand>`);
  }
  const lib = await loadLibrary();
  const database = new lib.Database(path);
  const store = lib.createSqliteStore({ database });
  await store.migrate();
  const ledger = lib.createSessionLedger({ store, clock: () => NOW });
  const taskRunner = lib.createTaskRunner({ ledger, store });
  let admin = null;
  if (withAdmin === "admin") {
    taskRunner.start();
    const authenticate = lib.apiKeyAuthenticator({
      keys: {
        [ADMIN_KEY]: {
          id: "bench-admin",
          tenants: ADMIN_TENANTS,
          permissions: ["sessions:read", "sessions:export", "sessions:terminate"],
        },
      },
    });
    admin = {
      authenticate,
      options: { ledger, taskRunner, authenticate, dialects: ["octane", "logscale"] },
    };
  }
  const user = await ledger.create({
    tenantId: BENCH_TENANT,
    user: { id: `me-${framework}-${mode}`, login: "host.user" },
    clientIp: "127.0.0.1",
  });
  const app = await APPS[framework](lib, { ledger, mode, admin });
  // Every framework's app as one request listener on Node's own server, counted.
  let answered = 0;
  const listener = (req, res) => {
    answered++;
    app(req, res);
  };

  const harness = channel(process);
  harness.answer("cpu", () => ({ ...process.cpuUsage(), answered }));
  if (admin) {
    const delay = eventLoopDelay();
    harness.answer("window-start", () => delay.start());
    harness.answer("pause", () => delay.pause());
    harness.answer("resume", () => delay.resume());
    harness.answer("window-end", () => delay.end());
  }
  serve(
    { listen: (...args) => createServer(listener).listen(...args) },
    {
      info: { token: user.token, sessionId: user.session.id },
      close: async () => {
        await taskRunner.stop();
        await store.close?.();
        database.close();
      },
    },
  );
}

await main();
