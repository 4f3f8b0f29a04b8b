/**
 * The admin handler mounted on Fastify through `createAdminPlugin`, over real HTTP: the cases
 * every adapter passes (see test-support/host-suite.ts).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Fastify, { type FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import type { HandlerContext } from "../admin/request.js";
import { HOST_COOKIES, HOST_HEADER, hostSuite } from "../test-support/host-suite.js";
import { createAdminPlugin, toFastify } from "./fastify.js";

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

describe(`Fastify ${version}: what the handler is handed`, () => {
  it("request.ip under trustProxy, the raw target, and Fastify's request as raw", async () => {
    const seen: HandlerContext[] = [];
    const handler = Object.assign(
      async (_request: Request, context?: HandlerContext) => {
        seen.push(context!);
        return new Response("mine");
      },
      { claims: (path: string) => path.startsWith("/api/") },
    );
    const app = Fastify({ trustProxy: true });
    await app.register(toFastify(handler));
    app.get("/other", async () => "theirs");
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const res = await fetch(`${url}/api/x%2Fy?q=1`, {
        headers: { "X-Forwarded-For": "203.0.113.7" },
      });
      expect(await res.text()).toBe("mine");
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ ip: "203.0.113.7", target: "/api/x%2Fy?q=1", basePath: "" });
      expect((seen[0]!.raw as FastifyRequest).raw.url).toBe("/api/x%2Fy?q=1");
      expect(await (await fetch(`${url}/other`)).text()).toBe("theirs");
      expect(seen).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it("refuses what is not an admin handler, at registration", () => {
    expect(() => toFastify((async () => null) as never)).toThrow(
      /toFastify: expected an admin handler/,
    );
  });
});
