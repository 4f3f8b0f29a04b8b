/**
 * The login-tracking cases every framework's native tracking must pass, run once per framework
 * (Express, Fastify, Hono, Koa over real HTTP; Next.js's functions with bare `Request`s): the
 * same cookies, the same 401s, the same sessions in the ledger. Each framework builds the same
 * routes with its own `sessionTracking`, `issueSession` and `endSession`. Not part of the
 * package's public surface.
 *
 * The routes each framework's app serves, all on the ledger it is given:
 * - `POST /login`, `/login/api` (`cookie: false`), `/login/custom` (`cookieName: "sid"`,
 *   `cookie: { sameSite: "strict", path: "/app", domain: "example.com" }`), `/login/insecure`
 *   (`cookie: { sameSite: "none", secure: false }`), `/login/cdn`
 *   (`trustCdnLocationHeaders: true`): `issueSession` in tenant "acme" for
 *   `{ id: "u1", login: "alice", fullName: "Alice Adams" }`, answered 201 `{ session, token }`,
 *   or 500 `{ message }` when it throws. The client IP is the framework's own (no proxy
 *   trusted); where it has none, the `x-client-ip` header stands in for the host's proxy.
 * - `GET /me`: `sessionTracking({ ledger, tenant: () => "acme", required: true })`, `{ id }`.
 * - `GET /maybe`: the same, not required, `{ signedIn }`.
 * - `GET /page`: required, `onUnauthenticated` redirecting (302) to `/login-page?why=<reason>`.
 * - `POST /logout`: tracking as `/maybe`, then `endSession({ ledger })`, `{ ended }`.
 * - `POST /signout`: no tracking, `endSession({ ledger, tenant: "acme" })`, `{ ended }`.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SessionLedger } from "@session-ledger/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestLedger, type TestLedger } from "./ledger.js";

/** What a case reads of an answer. */
export interface TrackingAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/** A framework's app of the routes above, and how to send it a request. */
export interface TrackingApp {
  send(method: string, path: string, headers?: Record<string, string>): Promise<TrackingAnswer>;
  close(): Promise<void>;
}

export interface TrackingHostUnderTest {
  /** The framework and its installed version, for the test titles. */
  title: string;
  start(ledger: SessionLedger): Promise<TrackingApp>;
}

/** The installed version of a package, read from the package.json above its entry. */
export function installedVersion(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  while (!dir.endsWith(join("node_modules", name))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json of ${name}`);
    dir = parent;
  }
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
}

/** A real-HTTP app's `send`, over fetch (redirects not followed). */
export const fetchSend =
  (base: string): TrackingApp["send"] =>
  async (method, path, headers = {}) => {
    const response = await fetch(`${base}${path}`, { method, headers, redirect: "manual" });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const MINUTE = 60_000;
const START = Date.parse("2026-02-20T12:00:00.000Z");
const CLEARED = /^sl_session=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT$/;
const MISSING = {
  error: "SESSION_REQUIRED",
  message: "sign in first: the request has no session cookie or Authorization: Bearer token",
};
const INVALID = {
  error: "SESSION_INVALID",
  message: "the session token is not valid, or its session has ended or expired; sign in again",
};

const cookieOf = (token: string) => ({ Cookie: `theme=dark; sl_session=${token}; other=1` });
const bearerOf = (token: string) => ({ Authorization: `Bearer ${token}` });
const json = (answer: TrackingAnswer) => JSON.parse(answer.text);

/** Runs every case against `host`. */
export function trackingSuite(host: TrackingHostUnderTest): void {
  describe(`${host.title}: login tracking`, () => {
    let harness: TestLedger;
    let app: TrackingApp;
    const send: TrackingApp["send"] = (...args) => app.send(...args);

    beforeAll(async () => {
      harness = createTestLedger({ now: START });
      app = await host.start(harness.ledger);
    });
    afterAll(async () => {
      await app?.close();
      await harness?.close();
    });
    beforeEach(() => harness.setNow(START));

    const login = async (path = "/login", headers: Record<string, string> = {}) => {
      const answer = await send("POST", path, {
        "User-Agent": CHROME,
        "x-client-ip": "127.0.0.1",
        ...headers,
      });
      expect(answer.status, answer.text).toBe(201);
      return { answer, ...(json(answer) as { token: string; session: Record<string, unknown> }) };
    };

    it("issueSession sets an HttpOnly, Secure, SameSite=Lax cookie for the session's lifetime, with no-store", async () => {
      const { answer, token } = await login();
      const [cookie, ...others] = answer.headers.getSetCookie();
      expect(others).toEqual([]);
      const [pair, ...attributes] = cookie!.split("; ");
      expect(pair).toBe(`sl_session=${token}`);
      expect(attributes).toEqual([
        "Max-Age=36000",
        "Path=/",
        "Expires=Fri, 20 Feb 2026 22:00:00 GMT",
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
      ]);
      expect(answer.headers.get("cache-control")).toBe("no-store");
    });

    it("issueSession records the client IP, the parsed user agent, and CDN headers only when trusted", async () => {
      const city = Buffer.from("São Paulo", "utf8").toString("latin1");
      const cdn = { "cf-ipcity": city, "cf-ipcountry": "BR" };
      const { session } = await login("/login", cdn);
      expect(session).toMatchObject({
        tenantId: "acme",
        clientIp: "127.0.0.1",
        userAgent: CHROME,
        clientInfo: { browser: "Chrome", os: "Windows", device: "desktop" },
        city: null,
        country: null,
      });
      const trusted = await login("/login/cdn", cdn);
      expect(trusted.session).toMatchObject({ city: "São Paulo", country: "BR" });
    });

    it("issueSession honours cookie settings, sets no cookie when asked not to, and refuses SameSite=None without Secure", async () => {
      const custom = await login("/login/custom");
      const [cookie] = custom.answer.headers.getSetCookie();
      expect(cookie).toMatch(/^sid=[\w-]{21}\.[\w-]{43}; /);
      expect(cookie).toContain("SameSite=Strict");
      expect(cookie).toContain("Path=/app");
      expect(cookie).toContain("Domain=example.com");
      const api = await login("/login/api");
      expect(api.answer.headers.getSetCookie()).toEqual([]);
      expect(api.token).toMatch(/^[\w-]{21}\.[\w-]{43}$/);
      const before = await harness.ledger.count("acme");
      const insecure = await send("POST", "/login/insecure");
      expect(insecure.status).toBe(500);
      expect(json(insecure).message).toBe("a SameSite=None session cookie must be Secure");
      expect(await harness.ledger.count("acme")).toBe(before);
    });

    it("sessionTracking finds the session from the cookie or from a bearer token", async () => {
      const { token, session } = await login();
      for (const headers of [cookieOf(token), bearerOf(token)]) {
        const me = await send("GET", "/me", headers);
        expect(me.status).toBe(200);
        expect(json(me)).toEqual({ id: session.id });
        expect(me.headers.getSetCookie()).toEqual([]);
      }
    });

    it("sessionTracking answers 401 SESSION_REQUIRED, with WWW-Authenticate and no-store, without a token", async () => {
      const me = await send("GET", "/me");
      expect(me.status).toBe(401);
      expect(me.headers.get("content-type")).toMatch(/^application\/json/);
      expect(me.headers.get("www-authenticate")).toBe("Bearer");
      expect(me.headers.get("cache-control")).toBe("no-store");
      expect(json(me)).toEqual(MISSING);
    });

    it("sessionTracking answers 401 SESSION_INVALID for a bad token, clearing a stale cookie", async () => {
      const { token, session } = await login();
      const forged = `${session.id}.${"A".repeat(43)}`;
      for (const bad of [forged, "garbage", `${token}x`]) {
        const me = await send("GET", "/me", cookieOf(bad));
        expect(me.status, bad).toBe(401);
        expect(me.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
        expect(me.headers.get("cache-control")).toBe("no-store");
        expect(json(me)).toEqual(INVALID);
        expect(me.headers.getSetCookie()).toEqual([expect.stringMatching(CLEARED)]);
      }
      // A bearer token is not a cookie: nothing to clear.
      const bearer = await send("GET", "/me", bearerOf(forged));
      expect(bearer.status).toBe(401);
      expect(bearer.headers.getSetCookie()).toEqual([]);
    });

    it("sessionTracking carries on without a session when one is optional, still clearing a stale cookie", async () => {
      const { token } = await login();
      expect(json(await send("GET", "/maybe"))).toEqual({ signedIn: false });
      const stale = await send("GET", "/maybe", cookieOf("x.y"));
      expect(stale.status).toBe(200);
      expect(json(stale)).toEqual({ signedIn: false });
      expect(stale.headers.getSetCookie()).toEqual([expect.stringMatching(CLEARED)]);
      expect(stale.headers.get("cache-control")).toBe("no-store");
      expect(json(await send("GET", "/maybe", cookieOf(token)))).toEqual({ signedIn: true });
    });

    it("sessionTracking lets the host answer instead (onUnauthenticated), with the reason", async () => {
      const missing = await send("GET", "/page");
      expect(missing.status).toBe(302);
      expect(missing.headers.get("location")).toBe("/login-page?why=missing");
      expect(missing.headers.get("cache-control")).toBe("no-store");
      const invalid = await send("GET", "/page", cookieOf("x.y"));
      expect(invalid.headers.get("location")).toBe("/login-page?why=invalid");
      expect(invalid.headers.getSetCookie()).toEqual([expect.stringMatching(CLEARED)]);
      const { token } = await login();
      const page = await send("GET", "/page", bearerOf(token));
      expect(page.status).toBe(200);
      expect(page.text).toBe("secret page");
    });

    it("sessionTracking keeps an active session alive and refuses it once idle or revoked", async () => {
      const { token, session } = await login();
      const me = () => send("GET", "/me", cookieOf(token));
      harness.setNow(START + 20 * MINUTE);
      expect((await me()).status).toBe(200);
      expect((await harness.ledger.get("acme", session.id as string))?.lastActivityAt).toBe(
        START + 20 * MINUTE,
      );
      // 35 minutes after login, 15 after the last activity: still open.
      harness.setNow(START + 35 * MINUTE);
      expect((await me()).status).toBe(200);
      harness.setNow(START + 66 * MINUTE);
      const idle = await me();
      expect(idle.status).toBe(401);
      expect(json(idle)).toEqual(INVALID);
      const second = await login();
      await harness.ledger.terminate("acme", second.session.id as string);
      expect((await send("GET", "/me", bearerOf(second.token))).status).toBe(401);
    });

    it("endSession logs the tracked session out, clears the cookie, and is harmless twice", async () => {
      const { token, session } = await login();
      const out = await send("POST", "/logout", cookieOf(token));
      expect(out.status).toBe(200);
      expect(json(out)).toEqual({ ended: true });
      expect(out.headers.getSetCookie()).toEqual([expect.stringMatching(CLEARED)]);
      expect(out.headers.get("cache-control")).toBe("no-store");
      expect(await harness.ledger.get("acme", session.id as string)).toMatchObject({
        status: "LOGGED_OUT",
        endReason: "LOGOUT",
      });
      expect((await send("GET", "/me", cookieOf(token))).status).toBe(401);
      const again = await send("POST", "/logout", cookieOf(token));
      // Tracking clears the stale cookie, and endSession clears it again.
      expect(json(again)).toEqual({ ended: false });
      expect(json(await send("POST", "/logout"))).toEqual({ ended: false });
    });

    it("endSession without tracking ends the session of a cookie or bearer token, and nothing for a forged one", async () => {
      const byCookie = await login();
      const out = await send("POST", "/signout", cookieOf(byCookie.token));
      expect(json(out)).toEqual({ ended: true });
      expect(out.headers.getSetCookie()).toEqual([expect.stringMatching(CLEARED)]);
      expect(await harness.ledger.validate("acme", byCookie.token)).toBeNull();
      const byBearer = await login();
      expect(json(await send("POST", "/signout", bearerOf(byBearer.token)))).toEqual({
        ended: true,
      });
      expect(await harness.ledger.validate("acme", byBearer.token)).toBeNull();
      const kept = await login();
      const forged = `${kept.token.split(".")[0]}.${"A".repeat(43)}`;
      expect(json(await send("POST", "/signout", cookieOf(forged)))).toEqual({ ended: false });
      expect(await harness.ledger.validate("acme", kept.token)).not.toBeNull();
    });
  });
}
