/**
 * The demo's routes as Web-standard handlers of `@session-ledger/http`, for the frameworks
 * other than Express (`frameworks.mjs` mounts them): the five dialects, the console, and login
 * tracking (`POST /login`, `GET /me`, `POST /logout`) written with the library's functions over
 * `Headers`. Express mounts its own routers and tracking (`app.mjs`), as its README shows.
 */
import { createConsoleHandler } from "@session-ledger/console";
import {
  clearedCookie,
  clientFactsOf,
  cookieAttributes,
  createAdminHandler,
  createLogScaleHandler,
  DEFAULT_COOKIE_NAME,
  defaultTenant,
  presentedToken,
  sessionCookie,
  signedInPrincipal,
  TENANT_HEADER,
} from "@session-ledger/http";

/** The largest `POST /login` body, as Express's `express.json({ limit: "16kb" })`. */
const MAX_LOGIN_BYTES = 16 * 1024;

/**
 * @typedef {object} DemoHandlers
 * @property {import("@session-ledger/http").AdminHandler} admin Octane, Cognite, Formal, SAYMON
 * @property {import("@session-ledger/http").AdminHandler} logscale LogScale, which also serves
 *   users signed in through /login
 * @property {import("@session-ledger/console").ConsoleHandler} console the page at /
 * @property {import("@session-ledger/http").AdminHandler} tracking /login, /me, /logout
 */

/**
 * @param {object} options
 * @param {import("@session-ledger/core").SessionLedger} options.ledger
 * @param {import("@session-ledger/core").TaskRunner} options.taskRunner
 * @param {(req: import("@session-ledger/http").HeaderSource) => import("@session-ledger/http").Principal | null} options.authenticate
 * @param {string} options.home the space the dialects without a tenant in the URL act in
 * @param {(line: string) => void} options.log
 * @returns {DemoHandlers}
 */
export function demoHandlers({ ledger, taskRunner, authenticate, home, log }) {
  /** @type {import("@session-ledger/http").TenantResolver} */
  const space = (req, principal, fromPath) =>
    req.headers.get(TENANT_HEADER) === null ? home : defaultTenant(req, principal, fromPath);
  /** @type {import("@session-ledger/http").TenantResolver} */
  const org = (_req, _principal, fromPath) => {
    const id = /** @type {string} */ (fromPath);
    return id.startsWith("space-") ? id.slice("space-".length) : id;
  };
  const onError = (/** @type {unknown} */ error, /** @type {any} */ info) =>
    log(
      `admin route failed (${info.correlationId}): ${/** @type {Error} */ (error)?.stack ?? error}`,
    );
  const admin = createAdminHandler({
    ledger,
    taskRunner,
    authenticate,
    onError,
    dialects: ["octane", "cognite", "formal", "saymon"],
    cognite: { tenant: org },
    formal: { tenant: space },
    saymon: { tenant: space },
  });
  /** The signed-in user of a request, as sessionTracking would find it. */
  const signedIn = async (/** @type {import("@session-ledger/http").AdminRequest} */ req) => {
    const presented = presentedToken(req, { cookieName: DEFAULT_COOKIE_NAME, bearer: true });
    return presented === null ? null : ledger.validate(home, presented.token);
  };
  const logscale = createLogScaleHandler({
    ledger,
    onError,
    tenant: space,
    authenticate: async (req) => authenticate(req) ?? signedInPrincipal(await signedIn(req)),
  });
  return {
    admin,
    logscale,
    console: createConsoleHandler({ basePath: "/", auth: "api-key", defaultSpace: home }),
    tracking: trackingHandler(ledger, home, log),
  };
}

/** @param {number} status @param {unknown} body @param {Record<string, string>} [headers] */
const json = (status, body, headers = {}) => {
  const response = Response.json(body, { status, headers });
  response.headers.set("Cache-Control", "no-store");
  return response;
};

/** A demo route's refusal: a JSON 4xx saying what is wrong. */
class Refused extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * The login of a `POST /login` request: `{"login": "…"}` in at most 16 KiB of JSON.
 * @param {Request} request
 */
async function loginOf(request) {
  const text = await request.text();
  if (new TextEncoder().encode(text).byteLength > MAX_LOGIN_BYTES) {
    throw new Refused(413, "the body must be at most 16 KiB");
  }
  let body;
  if (/^application\/json/i.test(request.headers.get("content-type") ?? "")) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new Refused(400, "the body is not valid JSON");
    }
  }
  const login =
    typeof body === "object" && body !== null && !Array.isArray(body) ? body.login : undefined;
  if (typeof login !== "string" || login.trim() === "") {
    throw new Refused(400, 'the body must be JSON {"login": "…"} with a non-empty string login');
  }
  return login.trim();
}

const UNAUTHENTICATED = {
  missing: "sign in first: the request has no session cookie or Authorization: Bearer token",
  invalid: "the session token is not valid, or its session has ended or expired; sign in again",
};

/**
 * `POST /login`, `GET /me`, `POST /logout` as a Web handler, with the library's tracking
 * functions: the token from the cookie or a bearer, the cookie lines, the client's facts.
 * @param {import("@session-ledger/core").SessionLedger} ledger
 * @param {string} tenantId
 * @param {(line: string) => void} log
 * @returns {import("@session-ledger/http").AdminHandler}
 */
function trackingHandler(ledger, tenantId, log) {
  const ROUTES = new Map([
    ["/login", "POST"],
    ["/me", "GET"],
    ["/logout", "POST"],
  ]);
  const cookie = cookieAttributes();
  /** @param {Request} request @param {import("@session-ledger/http").HandlerContext} context */
  const answer = async (request, context) => {
    const path = new URL(request.url).pathname;
    if (request.method !== ROUTES.get(path) && !(path === "/me" && request.method === "HEAD")) {
      throw new Refused(404, `no route ${request.method} ${path}`);
    }
    const presented = presentedToken(request, { cookieName: DEFAULT_COOKIE_NAME, bearer: true });
    if (path === "/login") {
      const login = await loginOf(request);
      const { session, token } = await ledger.create({
        tenantId,
        user: { id: `local-${login}`, login },
        ...clientFactsOf(request, { ip: context.ip ?? null }),
      });
      const setCookie = sessionCookie(DEFAULT_COOKIE_NAME, token, cookie, {
        now: session.createdAt,
        expiresAt: session.absoluteExpiresAt,
      });
      return json(
        201,
        { id: session.id, expiresAt: session.expiresAt },
        { "Set-Cookie": setCookie },
      );
    }
    const session = presented === null ? null : await ledger.validate(tenantId, presented.token);
    if (path === "/logout") {
      if (session !== null) await ledger.logout(session.tenantId, session.id);
      return new Response(null, {
        status: 204,
        headers: { "Set-Cookie": clearedCookie(DEFAULT_COOKIE_NAME), "Cache-Control": "no-store" },
      });
    }
    if (session === null) {
      const reason = presented === null ? "missing" : "invalid";
      return json(
        401,
        {
          error: reason === "missing" ? "SESSION_REQUIRED" : "SESSION_INVALID",
          message: UNAUTHENTICATED[reason],
        },
        { "WWW-Authenticate": reason === "missing" ? "Bearer" : 'Bearer error="invalid_token"' },
      );
    }
    return json(200, session);
  };
  /**
   * @param {Request} request
   * @param {import("@session-ledger/http").HandlerContext} [context]
   */
  const handler = async (request, context = {}) => {
    try {
      return await answer(request, context);
    } catch (error) {
      const status = statusOf(error);
      if (status >= 500) log(`demo route failed: ${/** @type {Error} */ (error)?.stack ?? error}`);
      return json(status, {
        message: status >= 500 ? "internal error" : /** @type {Error} */ (error).message,
      });
    }
  };
  return /** @type {import("@session-ledger/http").AdminHandler} */ (
    Object.assign(handler, { claims: (/** @type {string} */ path) => ROUTES.has(path) })
  );
}

/** The status of a failure of a demo route: a refusal's own, core's 4xx codes, else 500. */
function statusOf(/** @type {any} */ error) {
  if (error instanceof Refused) return error.status;
  if (error?.code === "INVALID_ARGUMENT") return 400;
  if (error?.code === "CONFLICT" || error?.code === "SESSION_LIMIT_REACHED") return 409;
  return 500;
}
