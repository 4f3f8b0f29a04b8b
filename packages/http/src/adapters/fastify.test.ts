/**
 * The admin handler mounted on Fastify through `createAdminPlugin`, over real HTTP: the cases
 * every adapter passes (see test-support/host-suite.ts).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Fastify, { type FastifyRequest } from "fastify";
import { HOST_COOKIES, HOST_HEADER, hostSuite } from "../test-support/host-suite.js";
import { createAdminPlugin } from "./fastify.js";

const require = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync(require.resolve("fastify/package.json"), "utf8"));

hostSuite({
  title: `Fastify ${version}`,
  async start(options) {
    const app = Fastify();
    app.addHook("onRequest", async (_request, reply) => {
      for (const cookie of HOST_COOKIES) reply.header("set-cookie", cookie);
      reply.header(...HOST_HEADER);
    });
    await app.register(createAdminPlugin(options));
    app.post("/echo", async (request) => ({ got: request.body }));
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    return { url, close: () => app.close() };
  },
  isOwnRequest: (raw) =>
    typeof raw === "object" &&
    raw !== null &&
    "routeOptions" in raw &&
    typeof (raw as FastifyRequest).raw?.on === "function",
});
