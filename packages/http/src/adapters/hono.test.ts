/**
 * The admin handler mounted on Hono through `createAdminMiddleware`, served on Node by
 * `@hono/node-server`, over real HTTP: the cases every adapter passes (see
 * test-support/host-suite.ts).
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { type Context, Hono } from "hono";
import { HOST_COOKIES, HOST_HEADER, hostSuite } from "../test-support/host-suite.js";
import { createAdminMiddleware } from "./hono.js";

// Hono's exports name no package.json: read it beside its entry.
const entry = fileURLToPath(import.meta.resolve("hono"));
let root = dirname(entry);
while (!root.endsWith(join("node_modules", "hono"))) root = dirname(root);
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

hostSuite({
  title: `Hono ${version}`,
  async start(options) {
    const app = new Hono();
    app.use(async (c, next) => {
      for (const cookie of HOST_COOKIES) c.header("Set-Cookie", cookie, { append: true });
      c.header(...HOST_HEADER);
      await next();
    });
    app.use(
      createAdminMiddleware({ ...options, ip: (c) => getConnInfo(c).remote.address ?? null }),
    );
    app.post("/echo", async (c) => c.json({ got: await c.req.json() }));
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const started = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
        resolve(started),
      );
    });
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          server.close(() => resolve());
        }),
    };
  },
  isOwnRequest: (raw) =>
    typeof raw === "object" &&
    raw !== null &&
    typeof (raw as Context).req?.raw?.headers?.get === "function" &&
    typeof (raw as Context).json === "function",
});
