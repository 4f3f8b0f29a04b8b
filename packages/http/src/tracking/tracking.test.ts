import { createMemoryStore, createSessionLedger, type SessionLedger } from "@session-ledger/core";
import express, { type Express } from "express";
import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";
import {
  DEFAULT_TENANT,
  endSession,
  type IssueSessionOptions,
  issueSession,
  sessionTracking,
} from "./tracking.js";

const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const MINUTE = 60_000;

let now: number;
let ledger: SessionLedger;
let app: Express;

function buildApp(
  issue: Partial<IssueSessionOptions> = {},
  trustProxy: string | false = "loopback",
) {
  const tenant = () => "acme";
  const built = express();
  built.set("trust proxy", trustProxy);
  built.post("/login", async (req, res, next) => {
    try {
      const { session, token } = await issueSession(req, res, {
        ledger,
        tenantId: "acme",
        user: { id: "u1", login: "alice", fullName: "Alice Adams" },
        ...issue,
      });
      res.status(201).json({ session, token });
    } catch (error) {
      next(error);
    }
  });
  built.get("/me", sessionTracking({ ledger, tenant, required: true }), (req, res) => {
    res.json({ id: req.sessionLedger?.session.id });
  });
  built.get("/maybe", sessionTracking({ ledger, tenant }), (req, res) => {
    res.json({ signedIn: req.sessionLedger !== undefined });
  });
  built.get(
    "/page",
    sessionTracking({
      ledger,
      tenant,
      required: true,
      onUnauthenticated: (_req, res, reason) => res.redirect(`/login-page?why=${reason}`),
    }),
    (_req, res) => {
      res.send("secret page");
    },
  );
  built.post("/logout", sessionTracking({ ledger, tenant }), async (req, res, next) => {
    try {
      res.json({ ended: await endSession(req, res, { ledger }) });
    } catch (error) {
      next(error);
    }
  });
  return built;
}

async function login(agent: string = CHROME, headers: Record<string, string> = {}) {
  const res = await request(app).post("/login").set("User-Agent", agent).set(headers);
  expect(res.status).toBe(201);
  return res;
}

const cookieOf = (token: string) => `theme=dark; sl_session=${token}; other=1`;

beforeEach(() => {
  now = Date.parse("2026-02-20T12:00:00.000Z");
  ledger = createSessionLedger({ store: createMemoryStore(), clock: () => now });
  app = buildApp();
});

describe("issueSession", () => {
  it("should set an HttpOnly, Secure, SameSite=Lax cookie that lives as long as the session may", async () => {
    const res = await login();
    const [cookie] = res.headers["set-cookie"] as unknown as string[];
    const [pair, ...attributes] = cookie!.split("; ");
    expect(pair).toBe(`sl_session=${res.body.token}`);
    // Max-Age is the default 10-hour absolute lifetime, in seconds.
    expect(attributes).toEqual([
      "Max-Age=36000",
      "Path=/",
      expect.stringMatching(/^Expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/),
      "HttpOnly",
      "Secure",
      "SameSite=Lax",
    ]);
  });

  it("should take the client IP from req.ip, honouring trust proxy", async () => {
    const proxied = await login(CHROME, { "X-Forwarded-For": "203.0.113.9" });
    expect(proxied.body.session.clientIp).toBe("203.0.113.9");
    app = buildApp({}, false);
    const direct = await login(CHROME, { "X-Forwarded-For": "203.0.113.9" });
    // Without trust proxy the header is ignored; the IPv4-mapped loopback is folded to IPv4.
    expect(direct.body.session.clientIp).toBe("127.0.0.1");
  });

  it("should parse the user agent into browser, OS and device", async () => {
    const desktop = await login(CHROME);
    expect(desktop.body.session.clientInfo).toEqual({
      browser: "Chrome",
      os: "Windows",
      device: "desktop",
    });
    expect(desktop.body.session.userAgent).toBe(CHROME);
    const phone = await login(IPHONE);
    expect(phone.body.session.clientInfo).toEqual({
      browser: "Mobile Safari",
      os: "iOS",
      device: "mobile",
    });
    const script = await login("python-requests/2.32.3");
    expect(script.body.session.clientInfo).toBeNull();
    expect(script.body.session.userAgent).toBe("python-requests/2.32.3");
  });

  it("should read CDN location headers only when the host opts in", async () => {
    // Header bytes are UTF-8; Node hands them over as Latin-1 text.
    const city = Buffer.from("São Paulo", "utf8").toString("latin1");
    const headers = { "cf-ipcity": city, "cf-ipcountry": "BR" };
    const ignored = await login(CHROME, headers);
    expect(ignored.body.session).toMatchObject({ city: null, country: null });
    app = buildApp({ trustCdnLocationHeaders: true });
    const trusted = await login(CHROME, headers);
    expect(trusted.body.session).toMatchObject({ city: "São Paulo", country: "BR" });
    const unknown = await login(CHROME, { "cf-ipcountry": "XX" });
    expect(unknown.body.session.country).toBeNull();
  });

  it("should honour cookie settings, and set no cookie when asked not to", async () => {
    app = buildApp({
      cookieName: "sid",
      cookie: { sameSite: "strict", path: "/app", domain: "example.com" },
    });
    const custom = await login();
    const [cookie] = custom.headers["set-cookie"] as unknown as string[];
    expect(cookie).toMatch(/^sid=/);
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/app");
    expect(cookie).toContain("Domain=example.com");
    app = buildApp({ cookie: false });
    const none = await login();
    expect(none.headers["set-cookie"]).toBeUndefined();
    expect(none.body.token).toMatch(/^[\w-]{21}\.[\w-]{43}$/);
  });

  it("should refuse a SameSite=None cookie that is not Secure", async () => {
    app = buildApp({ cookie: { sameSite: "none", secure: false } });
    const res = await request(app).post("/login");
    expect(res.status).toBe(500);
    expect(await ledger.count("acme")).toBe(0);
  });
});

describe("sessionTracking", () => {
  it("should find the session from the cookie or from a bearer token", async () => {
    const { body } = await login();
    const byCookie = await request(app).get("/me").set("Cookie", cookieOf(body.token));
    expect(byCookie.status).toBe(200);
    expect(byCookie.body.id).toBe(body.session.id);
    const byBearer = await request(app).get("/me").set("Authorization", `Bearer ${body.token}`);
    expect(byBearer.status).toBe(200);
    expect(byBearer.body.id).toBe(body.session.id);
  });

  it("should answer 401 with a clear body when a session is required and absent", async () => {
    const res = await request(app).get("/me");
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe("Bearer");
    expect(res.body).toEqual({
      error: "SESSION_REQUIRED",
      message: "sign in first: the request has no session cookie or Authorization: Bearer token",
    });
  });

  it("should answer 401 for a token that is not valid, and clear a stale cookie", async () => {
    const { body } = await login();
    const forged = `${body.session.id}.${"A".repeat(43)}`;
    for (const token of [forged, "garbage", `${body.token}x`]) {
      const res = await request(app).get("/me").set("Cookie", cookieOf(token));
      expect(res.status, token).toBe(401);
      expect(res.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
      expect(res.body.error).toBe("SESSION_INVALID");
      expect(String(res.headers["set-cookie"])).toMatch(
        /^sl_session=; Path=\/; Expires=Thu, 01 Jan 1970/,
      );
    }
  });

  it("should carry on without a session when one is optional", async () => {
    const { body } = await login();
    expect((await request(app).get("/maybe")).body).toEqual({ signedIn: false });
    expect((await request(app).get("/maybe").set("Cookie", cookieOf("nope"))).body).toEqual({
      signedIn: false,
    });
    expect((await request(app).get("/maybe").set("Cookie", cookieOf(body.token))).body).toEqual({
      signedIn: true,
    });
  });

  it("should let the host answer instead, e.g. with a redirect", async () => {
    const res = await request(app).get("/page");
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/login-page?why=missing");
  });

  it("should keep an active session alive and refuse it once idle or revoked", async () => {
    const { body } = await login();
    const me = () => request(app).get("/me").set("Cookie", cookieOf(body.token));
    now += 20 * MINUTE;
    expect((await me()).status).toBe(200);
    expect((await ledger.get("acme", body.session.id))?.lastActivityAt).toBe(now);
    // 35 minutes after login, but only 15 after the last activity: still open.
    now += 15 * MINUTE;
    expect((await me()).status).toBe(200);
    now += 31 * MINUTE;
    const idle = await me();
    expect(idle.status).toBe(401);
    expect(idle.body.error).toBe("SESSION_INVALID");

    const second = await login();
    await ledger.terminate("acme", second.body.session.id);
    expect(
      (await request(app).get("/me").set("Authorization", `Bearer ${second.body.token}`)).status,
    ).toBe(401);
  });
});

describe("endSession", () => {
  it("should log the session out, clear the cookie, and be harmless twice", async () => {
    const { body } = await login();
    const out = await request(app).post("/logout").set("Cookie", cookieOf(body.token));
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ ended: true });
    expect(String(out.headers["set-cookie"])).toMatch(
      /^sl_session=; Path=\/; Expires=Thu, 01 Jan 1970/,
    );
    const session = await ledger.get("acme", body.session.id);
    expect(session).toMatchObject({ status: "LOGGED_OUT", endReason: "LOGOUT", endedAt: now });
    expect((await request(app).get("/me").set("Cookie", cookieOf(body.token))).status).toBe(401);
    const again = await request(app).post("/logout").set("Cookie", cookieOf(body.token));
    expect(again.body).toEqual({ ended: false });
    expect((await request(app).post("/logout")).body).toEqual({ ended: false });
  });
});

describe("a one-tenant app", () => {
  it("should issue and track sessions without naming a tenant, in DEFAULT_TENANT", async () => {
    const store = createMemoryStore();
    const oneTenant = createSessionLedger({ store });
    const built = express();
    built.post("/login", async (req, res) => {
      const { token } = await issueSession(req, res, {
        ledger: oneTenant,
        user: { id: "u1", login: "alice" },
        cookie: false,
      });
      res.json({ token });
    });
    built.get("/me", sessionTracking({ ledger: oneTenant, required: true }), (req, res) => {
      res.json({ tenantId: req.sessionLedger?.session.tenantId });
    });
    const { token } = (await request(built).post("/login")).body as { token: string };
    const me = await request(built).get("/me").set("Authorization", `Bearer ${token}`);
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ tenantId: DEFAULT_TENANT });
    // A fixed tenant of another name does not see it.
    const other = express();
    other.get(
      "/me",
      sessionTracking({ ledger: oneTenant, tenant: "acme", required: true }),
      (_r, s) => s.end(),
    );
    expect((await request(other).get("/me").set("Authorization", `Bearer ${token}`)).status).toBe(
      401,
    );
  });
});

describe("tracking options, checked where they are given", () => {
  it("should refuse a cookie name that is not an RFC 6265 token, before writing anything", async () => {
    for (const cookieName of ["my session", "a;b", "a=b", "séance", "", 5]) {
      expect(() => sessionTracking({ ledger, cookieName: cookieName as never })).toThrow(
        "sessionTracking: 'cookieName' must be a cookie name (letters, digits and !#$%&'*+-.^_`|~, as RFC 6265 allows)",
      );
    }
    const built = buildApp({ cookieName: "my session" });
    const res = await request(built).post("/login");
    expect(res.status).toBe(500);
    expect(await ledger.count("acme")).toBe(0);
    await expect(
      endSession({} as never, {} as never, { ledger, cookieName: "a,b" }),
    ).rejects.toThrow("endSession: 'cookieName' must be a cookie name");
  });

  it("should refuse unknown options, a missing ledger and values of the wrong kind", () => {
    expect(() => sessionTracking({ ledger, requried: true } as never)).toThrow(
      "sessionTracking: unknown option 'requried'",
    );
    expect(() => sessionTracking({} as never)).toThrow(
      "sessionTracking: 'ledger' must be a ledger from createSessionLedger({ store }), got nothing",
    );
    expect(() => sessionTracking({ ledger, required: "yes" as never })).toThrow(
      "sessionTracking: 'required' must be true or false, got a string",
    );
    expect(() => sessionTracking({ ledger, tenant: "" })).toThrow(
      "sessionTracking: 'tenant' must be a tenant id or a function (req) => tenant id",
    );
  });
});

describe("issueSession and sessionTracking in different tenants", () => {
  it("should refuse to issue a session that the app's fixed-tenant tracking would never find", async () => {
    const mismatched = createSessionLedger({ store: createMemoryStore(), clock: () => now });
    const built = express();
    built.use(sessionTracking({ ledger: mismatched })); // DEFAULT_TENANT
    built.post("/login", async (req, res, next) => {
      try {
        const { token } = await issueSession(req, res, {
          ledger: mismatched,
          tenantId: "acme",
          user: { id: "u1", login: "alice" },
        });
        res.json({ token });
      } catch (error) {
        res.status(500).json({ message: (error as Error).message });
        next();
      }
    });
    const res = await request(built).post("/login");
    expect(res.status).toBe(500);
    expect(res.body.message).toBe(
      'issueSession: the session would be issued in tenant "acme", but sessionTracking reads sessions of tenant "default" for this request, so the user would be signed out at the next request; give issueSession\'s tenantId and sessionTracking\'s tenant the same value',
    );
    expect(await mismatched.count("acme")).toBe(0);
  });

  it("should refuse it on a login route that tracking does not cover, by the tenants tracking reads", async () => {
    const mismatched = createSessionLedger({ store: createMemoryStore(), clock: () => now });
    sessionTracking({ ledger: mismatched, tenant: "acme" });
    sessionTracking({ ledger: mismatched, tenant: "beta" });
    const req = { headers: {}, ip: "127.0.0.1" } as never;
    const res = { append() {}, setHeader() {} } as never;
    await expect(
      issueSession(req, res, { ledger: mismatched, user: { id: "u1", login: "alice" } }),
    ).rejects.toThrow(
      'issueSession: the session would be issued in tenant "default", but sessionTracking reads sessions of "acme" or "beta"',
    );
    expect(await mismatched.count("default")).toBe(0);
    const issued = await issueSession(req, res, {
      ledger: mismatched,
      tenantId: "beta",
      user: { id: "u1", login: "alice" },
    });
    expect(issued.session.tenantId).toBe("beta");
  });
});

describe("endSession without sessionTracking", () => {
  const untracked = () => {
    const built = buildApp();
    built.post("/signout", async (req, res) => {
      res.json({ ended: await endSession(req, res, { ledger, tenant: "acme" }) });
    });
    return built;
  };

  it("should end the session of the cookie's token, and of a bearer token", async () => {
    const built = untracked();
    const fromCookie = (await request(built).post("/login")).body as { token: string };
    const out = await request(built).post("/signout").set("Cookie", cookieOf(fromCookie.token));
    expect(out.body).toEqual({ ended: true });
    expect(out.headers["set-cookie"]?.[0]).toMatch(/^sl_session=;/);
    expect(await ledger.validate("acme", fromCookie.token)).toBeNull();
    const fromBearer = (await request(built).post("/login")).body as { token: string };
    const bearer = await request(built)
      .post("/signout")
      .set("Authorization", `Bearer ${fromBearer.token}`);
    expect(bearer.body).toEqual({ ended: true });
    expect(await ledger.validate("acme", fromBearer.token)).toBeNull();
  });

  it("should end nothing for a token whose secret is wrong", async () => {
    const built = untracked();
    const { token } = (await request(built).post("/login")).body as { token: string };
    const forged = `${token.split(".")[0]}.${"A".repeat(43)}`;
    const out = await request(built).post("/signout").set("Cookie", cookieOf(forged));
    expect(out.body).toEqual({ ended: false });
    expect(await ledger.validate("acme", token)).not.toBeNull();
  });
});

describe("issueSession behind a proxy that forwards anything", () => {
  it("should record no client IP when req.ip is not an address, and still sign the user in", async () => {
    const trusting = buildApp({}, false);
    trusting.set("trust proxy", true);
    const res = await request(trusting).post("/login").set("X-Forwarded-For", "not-an-ip");
    expect(res.status).toBe(201);
    expect(res.body.session.clientIp).toBeNull();
    const real = await request(trusting).post("/login").set("X-Forwarded-For", "203.0.113.7");
    expect(real.body.session.clientIp).toBe("203.0.113.7");
  });
});

describe("Cache-Control on the tracking helpers' answers", () => {
  it("should send no-store with a login, a logout, a 401 and a cleared stale cookie", async () => {
    const issued = await login();
    expect(issued.headers["cache-control"]).toBe("no-store");
    const refused = await request(app).get("/me");
    expect(refused.status).toBe(401);
    expect(refused.headers["cache-control"]).toBe("no-store");
    const stale = await request(app).get("/maybe").set("Cookie", cookieOf("x.y"));
    expect(stale.headers["set-cookie"]?.[0]).toMatch(/^sl_session=;/);
    expect(stale.headers["cache-control"]).toBe("no-store");
    const out = await request(app).post("/logout").set("Cookie", cookieOf(issued.body.token));
    expect(out.body).toEqual({ ended: true });
    expect(out.headers["cache-control"]).toBe("no-store");
  });
});
