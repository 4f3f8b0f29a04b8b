/**
 * The demo on each Node framework `pnpm demo --framework` names. Express mounts the library's
 * Express routers and tracking (`app.mjs`); Fastify, Hono and Koa mount the same routes as the
 * Web handlers of `web.mjs` through their adapter of `@session-ledger/http`, in the ten lines
 * a host of that framework writes. Each gives a Node request listener, so `http.createServer`
 * and the tests serve them alike.
 */
import { createServer } from "node:http";
import { toFastify } from "@session-ledger/http/fastify";
import { toKoa } from "@session-ledger/http/koa";
import Fastify from "fastify";
import Koa from "koa";

/** The frameworks `--framework` takes; the first is the default. */
export const FRAMEWORKS = /** @type {const} */ (["express", "fastify", "hono", "koa"]);

/** @param {string} method @param {string} path */
const notFound = (method, path) => ({ message: `no route ${method} ${path}` });

/**
 * The demo's routes on a framework other than Express, as a Node request listener.
 * @param {"fastify" | "hono" | "koa"} framework
 * @param {import("./web.mjs").DemoHandlers} handlers
 * @returns {Promise<{ listener: import("node:http").RequestListener, close: () => Promise<void> }>}
 */
export async function listenerFor(framework, { admin, logscale, console: page, tracking }) {
  const handlers = [admin, logscale, page, tracking];
  switch (framework) {
    case "fastify": {
      /** @type {import("node:http").RequestListener | undefined} */
      let listener;
      const app = Fastify({
        trustProxy: "loopback",
        // The listener Fastify routes with; the server it would listen on is the caller's.
        serverFactory: (handle) => {
          listener = handle;
          return createServer(handle);
        },
      });
      for (const handler of handlers) await app.register(toFastify(handler));
      app.setNotFoundHandler((request, reply) => {
        reply.code(404).send(notFound(request.method, request.url.split("?")[0] ?? ""));
      });
      await app.ready();
      return { listener: /** @type {any} */ (listener), close: () => app.close() };
    }
    case "koa": {
      const app = new Koa({ proxy: true, proxyIpHeader: "X-Forwarded-For", maxIpsCount: 1 });
      for (const handler of handlers) app.use(toKoa(handler));
      app.use((ctx) => {
        ctx.status = 404;
        ctx.body = notFound(ctx.method, ctx.path);
      });
      // A client that leaves mid-download is not the demo's error.
      app.on("error", () => {});
      return { listener: app.callback(), close: async () => {} };
    }
    case "hono": {
      const { honoDemo } = await import("./hono.mjs");
      return honoDemo(handlers);
    }
    default:
      throw new TypeError(
        `unknown framework ${JSON.stringify(framework)}: use one of ${FRAMEWORKS.join(", ")}`,
      );
  }
}
