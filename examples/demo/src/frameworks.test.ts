/**
 * The demo's own routes on every framework it runs on (`pnpm demo --framework X`): login
 * tracking, the JSON 4xx of bad input, the console page, an unknown route, and a download a
 * client abandons. The admin dialects on each framework are the README requests
 * (`readme.test.ts`); Express's own tracking is `app.test.ts`'s.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemo, type Demo } from "./app.mjs";
import { FRAMEWORKS } from "./frameworks.mjs";

const NOW = Date.parse("2026-02-20T12:00:00.000Z");

describe.each(FRAMEWORKS)("the demo's own routes on %s", (framework) => {
  let dir: string;
  let demo: Demo;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `session-ledger-demo-${framework}-`));
    demo = await createDemo({
      dbPath: join(dir, "demo.db"),
      sessions: 2000,
      stepEveryMs: 0,
      now: () => NOW,
      framework,
    });
  });
  afterAll(async () => {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should sign a user in, show the session, and sign it out", async () => {
    const login = await request(demo.app)
      .post("/login")
      .set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
      .send({ login: "ann" });
    expect(login.status, login.text).toBe(201);
    const [setCookie] = login.headers["set-cookie"] as unknown as string[];
    expect(setCookie).toMatch(
      /^sl_session=[^;]+; Max-Age=\d+; Path=\/; Expires=.+; HttpOnly; Secure; SameSite=Lax$/,
    );
    const cookie = setCookie!.split(";")[0]!;
    const me = await request(demo.app).get("/me").set("Cookie", cookie);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      id: login.body.id,
      tenantId: "1001",
      status: "ACTIVE",
      clientInfo: { browser: "Firefox", os: "Linux", device: "desktop" },
      clientIp: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$|^::1$/),
    });
    const logout = await request(demo.app).post("/logout").set("Cookie", cookie);
    expect(logout.status).toBe(204);
    expect(String(logout.headers["set-cookie"])).toMatch(
      /^sl_session=; Path=\/; Expires=Thu, 01 Jan 1970/,
    );
    const after = await request(demo.app).get("/me").set("Cookie", cookie);
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ error: "SESSION_INVALID" });
    expect((await demo.ledger.get("1001", login.body.id))?.status).toBe("LOGGED_OUT");
  });

  it("should answer bad input and unknown routes with a JSON 4xx", async () => {
    const refused = async (res: request.Response, status: number, says: RegExp) => {
      expect(res.status, res.text).toBe(status);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ message: expect.stringMatching(says) });
      expect(res.text).not.toMatch(/node_modules|at .*\.m?js:\d+/);
    };
    const login = (body: string, type = "application/json") =>
      request(demo.app).post("/login").set("Content-Type", type).send(body);
    await refused(await login("{"), 400, /not valid JSON/);
    await refused(await login('{"login":5}'), 400, /non-empty string login/);
    await refused(await login('{"login":"a\\u0000b"}'), 400, /control character U\+0000/);
    await refused(await login(JSON.stringify({ login: "x".repeat(20_000) })), 413, /16 KiB/);
    await refused(await request(demo.app).get("/nowhere"), 404, /^no route GET \/nowhere$/);
    await refused(await request(demo.app).get("/me"), 401, /sign in first/);
    // The admin routes keep their own dialect's errors on every framework.
    const octane = await request(demo.app).get("/api/shared_spaces/1001/sessions?limit=0");
    expect(octane.status).toBe(401);
    expect(octane.body).toMatchObject({ error_code: "platform.unauthorized" });
  });

  it("should serve the console page at /, and its assets", async () => {
    const res = await request(demo.app).get("/");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
    const script = /src="\.\/(assets\/console-[^"]+\.js)"/.exec(res.text)?.[1];
    expect((await request(demo.app).get(`/${script}`)).status).toBe(200);
  });
});
