/**
 * The console mounted through each framework adapter of `@session-ledger/http` (Fastify, Hono,
 * Koa, Next.js route handlers) and through its own Express middleware, over real HTTP (Next's
 * handlers are called as Next calls them): the redirect to the trailing slash, the page with its
 * CSP, a hashed asset with its caching and its bytes, 405 for other methods, and the host's own
 * routes beside it, untouched.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { toFastify } from "@session-ledger/http/fastify";
import { toHono } from "@session-ledger/http/hono";
import { toKoa } from "@session-ledger/http/koa";
import { toNext } from "@session-ledger/http/next";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPageFiles } from "../src/assets.js";
import { consoleMiddleware } from "../src/express.js";
import { createConsoleHandler, DEFAULT_CSP } from "../src/handler.js";

/** A framework's installed version, for the titles (not every package exports its manifest). */
const version = (name: string): string => {
  const manifest = fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url));
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
};

const OPTIONS = { basePath: "/admin", auth: "cookie" } as const;
const files = readPageFiles();
const [script] = [...files.assets.keys()].filter((name) => name.endsWith(".js"));
const HOST_ROUTE = "/hello";
const HOST_ANSWER = "the host's own route";

/** A server that answers `fetch`-style requests, for Next's route handlers. */
function serveFetch(answer: (request: Request) => Promise<Response>): http.Server {
  return http.createServer(async (req, res) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(name, value);
    }
    const response = await answer(
      new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

async function listening(server: http.Server): Promise<string> {
  if (!server.listening) {
    server.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
  }
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Mounted {
  url: string;
  close(): Promise<void>;
}

const closeServer = (server: http.Server) =>
  new Promise<void>((resolve) => server.close(() => resolve()));

/** Each framework: an app with the console at /admin and one route of its own. */
const FRAMEWORKS: { title: string; start(): Promise<Mounted> }[] = [
  {
    title: `Express ${version("express")} (consoleMiddleware)`,
    async start() {
      const app = express();
      app.use(consoleMiddleware(OPTIONS));
      app.get(HOST_ROUTE, (_req, res) => {
        res.send(HOST_ANSWER);
      });
      const server = http.createServer(app);
      return { url: await listening(server), close: () => closeServer(server) };
    },
  },
  {
    title: `Fastify ${version("fastify")} (toFastify)`,
    async start() {
      const app = Fastify();
      await app.register(toFastify(createConsoleHandler(OPTIONS)));
      app.get(HOST_ROUTE, async () => HOST_ANSWER);
      const url = await app.listen({ port: 0, host: "127.0.0.1" });
      return { url, close: () => app.close() };
    },
  },
  {
    title: `Hono ${version("hono")} (toHono)`,
    async start() {
      const app = new Hono();
      app.use(toHono(createConsoleHandler(OPTIONS)));
      app.get(HOST_ROUTE, (c) => c.text(HOST_ANSWER));
      const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as http.Server;
      return { url: await listening(server), close: () => closeServer(server) };
    },
  },
  {
    title: `Koa ${version("koa")} (toKoa)`,
    async start() {
      const app = new Koa();
      app.use(toKoa(createConsoleHandler(OPTIONS)));
      app.use(async (ctx, next) => {
        if (ctx.path !== HOST_ROUTE) return next();
        ctx.body = HOST_ANSWER;
      });
      const server = http.createServer(app.callback());
      return { url: await listening(server), close: () => closeServer(server) };
    },
  },
  {
    title: "Next.js route handlers (toNext, app/admin/[[...path]]/route.ts)",
    async start() {
      const { GET, HEAD, POST } = toNext(createConsoleHandler(OPTIONS));
      const route: Record<string, (request: Request) => Promise<Response>> = { GET, HEAD, POST };
      // Next routes /admin and /admin/* to the route module, and everything else elsewhere.
      const server = serveFetch(async (request) => {
        const { pathname } = new URL(request.url);
        if (pathname === "/admin" || pathname.startsWith("/admin/")) {
          const handler = route[request.method];
          return handler
            ? handler(request)
            : new Response(null, { status: 405, headers: { Allow: "GET, HEAD, POST" } });
        }
        if (pathname === HOST_ROUTE) return new Response(HOST_ANSWER);
        return new Response("not found", { status: 404 });
      });
      return { url: await listening(server), close: () => closeServer(server) };
    },
  },
];

describe.each(FRAMEWORKS)("the console through $title", ({ start }) => {
  let app: Mounted;
  beforeAll(async () => {
    app = await start();
  });
  afterAll(() => app.close());

  const get = (path: string, init: RequestInit = {}) =>
    fetch(`${app.url}${path}`, { redirect: "manual", ...init });

  it("redirects the base path to its trailing slash, relatively, keeping the query", async () => {
    const res = await get("/admin?query=x");
    expect(res.status).toBe(308);
    expect(res.headers.get("Location")).toBe("admin/?query=x");
  });

  it("serves the page with its CSP and no cache", async () => {
    const res = await get("/admin/");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("Content-Security-Policy")).toBe(DEFAULT_CSP);
    expect(res.headers.get("Cache-Control")).toBe("no-cache");
    expect(await res.text()).toContain(`src="./assets/${script}"`);
  });

  it("serves a hashed asset byte for byte, cached for good, and 304 for its ETag", async () => {
    const res = await get(`/admin/assets/${script}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.equals(Buffer.from(files.assets.get(script!)!.body))).toBe(true);
    const etag = res.headers.get("ETag");
    expect(etag).toMatch(/^"/);
    const again = await get(`/admin/assets/${script}`, { headers: { "If-None-Match": etag! } });
    expect(again.status).toBe(304);
  });

  it("answers another method on its URLs with 405 and Allow", async () => {
    const res = await get("/admin/", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
  });

  it("leaves the host's own routes, and paths under it that it does not serve, to the host", async () => {
    const own = await get(HOST_ROUTE);
    expect(own.status).toBe(200);
    expect(await own.text()).toBe(HOST_ANSWER);
    expect((await get("/admin/not-a-page")).status).toBe(404);
  });
});
