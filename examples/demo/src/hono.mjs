/**
 * The demo on Hono: the Web handlers mounted with `@session-ledger/http/hono`, served on Node
 * by `@hono/node-server`, whose connection info gives the client IP.
 */
import { getRequestListener } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { toHono } from "@session-ledger/http/hono";
import { Hono } from "hono";

/**
 * @param {import("@session-ledger/http").AdminHandler[]} handlers
 * @returns {{ listener: import("node:http").RequestListener, close: () => Promise<void> }}
 */
export function honoDemo(handlers) {
  const app = new Hono();
  /** @param {import("hono").Context} c */
  const ip = (c) => getConnInfo(c).remote.address ?? null;
  for (const handler of handlers) app.use(toHono(handler, { ip }));
  app.notFound((c) => c.json({ message: `no route ${c.req.method} ${c.req.path}` }, 404));
  return {
    listener: /** @type {import("node:http").RequestListener} */ (getRequestListener(app.fetch)),
    close: async () => {},
  };
}
