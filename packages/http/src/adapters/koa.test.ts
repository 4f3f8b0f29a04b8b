/**
 * The admin handler mounted on Koa through `createAdminMiddleware`, over real HTTP: the cases
 * every adapter passes (see test-support/host-suite.ts).
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import Koa, { type Context } from "koa";
import { describe, expect, it } from "vitest";
import type { HandlerContext } from "../admin/request.js";
import { HOST_COOKIES, HOST_HEADER, hostSuite } from "../test-support/host-suite.js";
import { createAdminMiddleware, toKoa } from "./koa.js";

const require = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync(require.resolve("koa/package.json"), "utf8"));

hostSuite({
  title: `Koa ${version}`,
  async start(options) {
    const app = new Koa();
    // Koa reports a client that resets the connection mid-download; the export test does so.
    app.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "ECONNRESET") console.error(error);
    });
    app.use(async (ctx, next) => {
      for (const cookie of HOST_COOKIES) {
        const [pair] = cookie.split(";");
        const [name, value] = pair!.split("=");
        ctx.cookies.set(name!, value!, { httpOnly: cookie.includes("httponly"), path: "/" });
      }
      ctx.set(...HOST_HEADER);
      await next();
    });
    app.use(createAdminMiddleware(options));
    // The host's own JSON parser, as koa-bodyparser would be: it reads the stream after the
    // admin middleware passed the request on.
    app.use(async (ctx, next) => {
      if (ctx.is("application/json")) {
        const chunks: Buffer[] = [];
        for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
        (ctx.request as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString());
      }
      await next();
    });
    app.use(async (ctx, next) => {
      if (ctx.method === "POST" && ctx.path === "/echo") {
        ctx.body = { got: (ctx.request as { body?: unknown }).body };
        return;
      }
      await next();
    });
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  },
  isOwnRequest: (raw) =>
    typeof raw === "object" &&
    raw !== null &&
    (raw as Context).app instanceof Koa &&
    typeof (raw as Context).cookies?.get === "function",
});

describe(`Koa ${version}: what the handler is handed`, () => {
  it("ctx.ip under app.proxy, the target relative to a mount, its prefix, and ctx as raw", async () => {
    const seen: HandlerContext[] = [];
    const handler = Object.assign(
      async (_request: Request, context?: HandlerContext) => {
        seen.push(context!);
        return new Response("mine");
      },
      { claims: (path: string) => path.startsWith("/api/") },
    );
    const app = new Koa({ proxy: true });
    const admin = toKoa(handler);
    // What koa-mount does: ctx.path loses the prefix while the mounted middleware runs.
    app.use(async (ctx, next) => {
      if (!ctx.path.startsWith("/admin/")) return next();
      const path = ctx.path;
      ctx.path = path.slice("/admin".length);
      await admin(ctx, async () => {
        ctx.path = path;
        await next();
      });
    });
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/admin/api/x%2Fy?q=1`, {
        headers: { "X-Forwarded-For": "203.0.113.7" },
      });
      expect(await res.text()).toBe("mine");
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        ip: "203.0.113.7",
        target: "/api/x%2Fy?q=1",
        basePath: "/admin",
      });
      expect((seen[0]!.raw as Context).app).toBe(app);
      const passed = await fetch(`http://127.0.0.1:${port}/admin/other`);
      expect(passed.status).toBe(404);
      expect(seen).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});
