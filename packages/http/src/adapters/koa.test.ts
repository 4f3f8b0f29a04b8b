/**
 * The admin handler mounted on Koa through `createAdminMiddleware`, over real HTTP: the cases
 * every adapter passes (see test-support/host-suite.ts).
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import Koa, { type Context } from "koa";
import { HOST_COOKIES, HOST_HEADER, hostSuite } from "../test-support/host-suite.js";
import { createAdminMiddleware } from "./koa.js";

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
