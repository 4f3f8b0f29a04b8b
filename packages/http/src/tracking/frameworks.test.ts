/**
 * Login tracking native to each framework, one table of cases (test-support/tracking-suite.ts):
 * Express, Fastify, Hono and Koa over real HTTP, Next.js's route-handler functions called with
 * bare `Request`s and no socket.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { SessionLedger } from "@session-ledger/core";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import Koa from "koa";
import { describe, expect, it } from "vitest";
import * as onExpress from "../adapters/express.js";
import * as onFastify from "../adapters/fastify.js";
import * as onHono from "../adapters/hono.js";
import * as onKoa from "../adapters/koa.js";
import * as onNext from "../adapters/next.js";
import { createTestLedger } from "../test-support/ledger.js";
import {
  fetchSend,
  installedVersion,
  type TrackingApp,
  trackingSuite,
} from "../test-support/tracking-suite.js";

const USER = { id: "u1", login: "alice", fullName: "Alice Adams" };
const tenant = () => "acme";

/** The issueSession options of each `/login…` route. */
const LOGINS = {
  "/login": {},
  "/login/api": { cookie: false },
  "/login/custom": {
    cookieName: "sid",
    cookie: { sameSite: "strict", path: "/app", domain: "example.com" },
  },
  "/login/insecure": { cookie: { sameSite: "none", secure: false } },
  "/login/cdn": { trustCdnLocationHeaders: true },
} as const satisfies Record<string, Partial<onExpress.IssueSessionOptions>>;

const issueOptions = (ledger: SessionLedger, path: keyof typeof LOGINS) => ({
  ledger,
  tenantId: "acme",
  user: USER,
  ...LOGINS[path],
});

/** A listening Node server's base URL, and how to close it with its connections. */
async function listening(server: Server): Promise<TrackingApp> {
  if (!server.listening) {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
  }
  const { port } = server.address() as AddressInfo;
  return {
    send: fetchSend(`http://127.0.0.1:${port}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

trackingSuite({
  title: `Express ${installedVersion("express")}`,
  async start(ledger) {
    const { sessionTracking, issueSession, endSession } = onExpress;
    const app = express();
    for (const path of Object.keys(LOGINS) as (keyof typeof LOGINS)[]) {
      app.post(path, async (req, res) => {
        try {
          res.status(201).json(await issueSession(req, res, issueOptions(ledger, path)));
        } catch (error) {
          res.status(500).json({ message: (error as Error).message });
        }
      });
    }
    app.get("/me", sessionTracking({ ledger, tenant, required: true }), (req, res) => {
      res.json({ id: req.sessionLedger?.session.id });
    });
    app.get("/maybe", sessionTracking({ ledger, tenant }), (req, res) => {
      res.json({ signedIn: req.sessionLedger !== undefined });
    });
    app.get(
      "/page",
      sessionTracking({
        ledger,
        tenant,
        required: true,
        onUnauthenticated: (_req, res, why) => res.redirect(`/login-page?why=${why}`),
      }),
      (_req, res) => {
        res.send("secret page");
      },
    );
    app.post("/logout", sessionTracking({ ledger, tenant }), async (req, res) => {
      res.json({ ended: await endSession(req, res, { ledger }) });
    });
    app.post("/signout", async (req, res) => {
      res.json({ ended: await endSession(req, res, { ledger, tenant: "acme" }) });
    });
    return listening(createServer(app));
  },
});

trackingSuite({
  title: `Fastify ${installedVersion("fastify")}`,
  async start(ledger) {
    const { sessionTracking, issueSession, endSession } = onFastify;
    const app = Fastify();
    for (const path of Object.keys(LOGINS) as (keyof typeof LOGINS)[]) {
      app.post(path, async (request, reply) => {
        try {
          const created = await issueSession(request, reply, issueOptions(ledger, path));
          return reply.code(201).send(created);
        } catch (error) {
          return reply.code(500).send({ message: (error as Error).message });
        }
      });
    }
    // Each tracking in a context of its own, covering that context's routes only.
    await app.register(async (scope) => {
      await scope.register(sessionTracking({ ledger, tenant, required: true }));
      scope.get("/me", async (request) => ({ id: request.sessionLedger?.session.id }));
    });
    await app.register(async (scope) => {
      await scope.register(sessionTracking({ ledger, tenant }));
      scope.get("/maybe", async (request) => ({ signedIn: request.sessionLedger !== undefined }));
      scope.post("/logout", async (request, reply) => ({
        ended: await endSession(request, reply, { ledger }),
      }));
    });
    await app.register(async (scope) => {
      await scope.register(
        sessionTracking({
          ledger,
          tenant,
          required: true,
          onUnauthenticated: (_request, reply, why) => reply.redirect(`/login-page?why=${why}`),
        }),
      );
      scope.get("/page", async () => "secret page");
    });
    app.post("/signout", async (request, reply) => ({
      ended: await endSession(request, reply, { ledger, tenant: "acme" }),
    }));
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as AddressInfo;
    return { send: fetchSend(`http://127.0.0.1:${port}`), close: () => app.close() };
  },
});

trackingSuite({
  title: `Hono ${installedVersion("hono")} on @hono/node-server ${installedVersion("@hono/node-server")}`,
  async start(ledger) {
    const { sessionTracking, issueSession, endSession } = onHono;
    const app = new Hono();
    for (const path of Object.keys(LOGINS) as (keyof typeof LOGINS)[]) {
      app.post(path, async (c) => {
        try {
          const clientIp = getConnInfo(c).remote.address ?? null;
          return c.json(await issueSession(c, { ...issueOptions(ledger, path), clientIp }), 201);
        } catch (error) {
          return c.json({ message: (error as Error).message }, 500);
        }
      });
    }
    app.get("/me", sessionTracking({ ledger, tenant, required: true }), (c) =>
      c.json({ id: c.get("sessionLedger")?.session.id }),
    );
    app.get("/maybe", sessionTracking({ ledger, tenant }), (c) =>
      c.json({ signedIn: c.get("sessionLedger") !== undefined }),
    );
    app.get(
      "/page",
      sessionTracking({
        ledger,
        tenant,
        required: true,
        onUnauthenticated: (c, why) => c.redirect(`/login-page?why=${why}`),
      }),
      (c) => c.text("secret page"),
    );
    app.post("/logout", sessionTracking({ ledger, tenant }), async (c) =>
      c.json({ ended: await endSession(c, { ledger }) }),
    );
    app.post("/signout", async (c) =>
      c.json({ ended: await endSession(c, { ledger, tenant: "acme" }) }),
    );
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }) as Server;
    await once(server, "listening");
    return listening(server);
  },
});

trackingSuite({
  title: `Koa ${installedVersion("koa")}`,
  async start(ledger) {
    const { sessionTracking, issueSession, endSession } = onKoa;
    const app = new Koa();
    const routes: Record<string, Koa.Middleware[]> = {};
    for (const path of Object.keys(LOGINS) as (keyof typeof LOGINS)[]) {
      routes[`POST ${path}`] = [
        async (ctx) => {
          try {
            ctx.body = await issueSession(ctx, issueOptions(ledger, path));
            ctx.status = 201;
          } catch (error) {
            ctx.status = 500;
            ctx.body = { message: (error as Error).message };
          }
        },
      ];
    }
    routes["GET /me"] = [
      sessionTracking({ ledger, tenant, required: true }),
      (ctx) => {
        ctx.body = { id: ctx.state.sessionLedger?.session.id };
      },
    ];
    routes["GET /maybe"] = [
      sessionTracking({ ledger, tenant }),
      (ctx) => {
        ctx.body = { signedIn: ctx.state.sessionLedger !== undefined };
      },
    ];
    routes["GET /page"] = [
      sessionTracking({
        ledger,
        tenant,
        required: true,
        onUnauthenticated: (ctx, why) => ctx.redirect(`/login-page?why=${why}`),
      }),
      (ctx) => {
        ctx.body = "secret page";
      },
    ];
    routes["POST /logout"] = [
      sessionTracking({ ledger, tenant }),
      async (ctx) => {
        ctx.body = { ended: await endSession(ctx, { ledger }) };
      },
    ];
    routes["POST /signout"] = [
      async (ctx) => {
        ctx.body = { ended: await endSession(ctx, { ledger, tenant: "acme" }) };
      },
    ];
    // A router of the host's own making, as koa-router would dispatch: one chain per route.
    app.use(async (ctx, next) => {
      const chain = routes[`${ctx.method} ${ctx.path}`];
      if (!chain) return next();
      const run = (i: number): Promise<void> => Promise.resolve(chain[i]?.(ctx, () => run(i + 1)));
      await run(0);
    });
    return listening(createServer(app.callback()));
  },
});

/** Next.js's route handlers of the same routes, called as the App Router calls them. */
function nextRoutes(ledger: SessionLedger) {
  const { sessionTracking, issueSession, endSession } = onNext;
  const me = sessionTracking({ ledger, tenant, required: true });
  const maybe = sessionTracking({ ledger, tenant });
  const page = sessionTracking({
    ledger,
    tenant,
    required: true,
    onUnauthenticated: (_request, why) =>
      new Response(null, { status: 302, headers: { Location: `/login-page?why=${why}` } }),
  });
  const routes: Record<string, (request: Request) => Promise<Response>> = {
    "GET /me": async (request) => {
      const { sessionLedger, unauthenticated, headers } = await me.sessionOf(request);
      return unauthenticated ?? Response.json({ id: sessionLedger?.session.id }, { headers });
    },
    "GET /maybe": async (request) => {
      const { sessionLedger, headers } = await maybe.sessionOf(request);
      return Response.json({ signedIn: sessionLedger !== null }, { headers });
    },
    "GET /page": async (request) => {
      const { unauthenticated, headers } = await page.sessionOf(request);
      return unauthenticated ?? new Response("secret page", { headers });
    },
    "POST /logout": async (request) => {
      const tracked = await maybe.sessionOf(request);
      const { ended, headers } = await endSession(request, { ledger });
      for (const cookie of tracked.headers.getSetCookie()) headers.append("Set-Cookie", cookie);
      return Response.json({ ended }, { headers });
    },
    "POST /signout": async (request) => {
      const { ended, headers } = await endSession(request, { ledger, tenant: "acme" });
      return Response.json({ ended }, { headers });
    },
  };
  for (const path of Object.keys(LOGINS) as (keyof typeof LOGINS)[]) {
    routes[`POST ${path}`] = async (request) => {
      try {
        const clientIp = request.headers.get("x-client-ip");
        const { session, token, headers } = await issueSession(request, {
          ...issueOptions(ledger, path),
          clientIp,
        });
        return Response.json({ session, token }, { status: 201, headers });
      } catch (error) {
        return Response.json({ message: (error as Error).message }, { status: 500 });
      }
    };
  }
  return routes;
}

trackingSuite({
  title: `Next.js ${installedVersion("next")} route handlers (bare Requests)`,
  async start(ledger) {
    const routes = nextRoutes(ledger);
    return {
      async send(method, path, headers = {}) {
        const request = new Request(`http://localhost${path}`, { method, headers });
        const route = routes[`${method} ${path}`];
        if (!route) throw new Error(`no route ${method} ${path}`);
        const response = await route(request);
        return { status: response.status, headers: response.headers, text: await response.text() };
      },
      close: async () => {},
    };
  },
});

describe("Next.js tracking functions: what a route handler gets back", () => {
  it("sessionOf checks its options once, where they are given", () => {
    expect(() => onNext.sessionTracking({ ledger: {} as never })).toThrow(
      "sessionTracking: 'ledger' must be a ledger from createSessionLedger({ store })",
    );
    expect(() =>
      onNext.sessionTracking({ ledger: undefined as never, onUnauthenticated: 1 as never }),
    ).toThrow("sessionTracking: 'ledger'");
  });

  it("sessionOf adds its headers to an onUnauthenticated answer whose own are immutable", async () => {
    const harness = createTestLedger({ now: Date.parse("2026-02-20T12:00:00.000Z") });
    try {
      const { sessionOf } = onNext.sessionTracking({
        ledger: harness.ledger,
        required: true,
        onUnauthenticated: (_request, why) =>
          Response.redirect(`https://app.example/login?why=${why}`, 303),
      });
      const request = new Request("https://app.example/me", {
        headers: { Cookie: "sl_session=stale.token" },
      });
      const { sessionLedger, unauthenticated } = await sessionOf(request);
      expect(sessionLedger).toBeNull();
      expect(unauthenticated?.status).toBe(303);
      expect(unauthenticated?.headers.get("location")).toBe(
        "https://app.example/login?why=invalid",
      );
      expect(unauthenticated?.headers.get("cache-control")).toBe("no-store");
      expect(unauthenticated?.headers.getSetCookie()).toEqual([
        expect.stringMatching(/^sl_session=; Path=\/; Expires=Thu, 01 Jan 1970/),
      ]);
    } finally {
      await harness.close();
    }
  });

  it("issueSession refuses an unknown option, naming it, before writing anything", async () => {
    const request = new Request("http://localhost/login", { method: "POST" });
    await expect(
      onNext.issueSession(request, { ledger: {} as never, user: USER, ip: "1.2.3.4" } as never),
    ).rejects.toThrow("issueSession: unknown option 'ip'");
  });
});

describe("every adapter refuses the options Express refuses, in the same words", () => {
  const ledger = {} as SessionLedger;
  const factories = {
    express: onExpress.sessionTracking,
    fastify: onFastify.sessionTracking,
    hono: onHono.sessionTracking,
    koa: onKoa.sessionTracking,
    next: onNext.sessionTracking,
  } as const;
  for (const [name, sessionTracking] of Object.entries(factories)) {
    it(`${name}: an unknown option and a missing ledger`, () => {
      const track = sessionTracking as (options: unknown) => unknown;
      expect(() => track({ ledger, requried: true })).toThrow(
        "sessionTracking: unknown option 'requried'",
      );
      expect(() => track({})).toThrow(
        "sessionTracking: 'ledger' must be a ledger from createSessionLedger({ store }), got nothing",
      );
    });
  }
});
