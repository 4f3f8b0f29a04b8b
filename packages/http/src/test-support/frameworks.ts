/**
 * Web handlers mounted on each Node framework through its adapter, as one Node request
 * listener, so a suite written against the Express app runs unchanged on every framework (the
 * bad-input and fuzz suites do). Not part of the package's public surface.
 */
import { createServer, type RequestListener } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import Fastify from "fastify";
import { Hono } from "hono";
import Koa from "koa";
import { adminFrameworkErrors, toFastify } from "../adapters/fastify.js";
import { toHono } from "../adapters/hono.js";
import { toKoa } from "../adapters/koa.js";
import type { AdminHandler } from "../handler.js";

/** The Node frameworks with an adapter, Express first (the reference). */
export const NODE_FRAMEWORKS = ["express", "fastify", "hono", "koa"] as const;
export type NodeFramework = (typeof NODE_FRAMEWORKS)[number];

/** A framework app of the handlers, and how to stop it. */
export interface FrameworkApp {
  listener: RequestListener;
  close(): Promise<void>;
}

/**
 * The handlers on a framework other than Express, tried in order; what none claims is the
 * framework's own 404.
 */
export async function frameworkApp(
  framework: Exclude<NodeFramework, "express">,
  handlers: readonly AdminHandler[],
): Promise<FrameworkApp> {
  switch (framework) {
    case "fastify": {
      let listener: RequestListener | undefined;
      const app = Fastify({
        frameworkErrors: adminFrameworkErrors(...handlers),
        serverFactory: (handle) => {
          listener = handle;
          return createServer(handle);
        },
      });
      for (const handler of handlers) await app.register(toFastify(handler));
      await app.ready();
      return { listener: listener!, close: () => app.close() };
    }
    case "koa": {
      const app = new Koa();
      // A client that resets the connection mid-answer is reported as an app error.
      app.on("error", () => {});
      for (const handler of handlers) app.use(toKoa(handler));
      return { listener: app.callback(), close: async () => {} };
    }
    case "hono": {
      const app = new Hono();
      for (const handler of handlers) {
        app.use(toHono(handler, { ip: (c) => getConnInfo(c).remote.address ?? null }));
      }
      return { listener: getRequestListener(app.fetch) as RequestListener, close: async () => {} };
    }
  }
}
