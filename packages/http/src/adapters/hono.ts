/**
 * `@session-ledger/http/hono`: the admin handler (or the console's) as Hono middleware. Hono
 * hands over a Web `Request` already, so nothing is bridged: the handler answers it, and
 * headers and cookies earlier middleware set (`c.header`, `setCookie`) are kept on its answer.
 * Runs wherever Hono does on Node's streams (`@hono/node-server`, Bun, Deno).
 * Login tracking is native middleware too: `sessionTracking` sets `c.get("sessionLedger")`.
 */
import type { CreatedSession } from "@session-ledger/core";
import type { Context, MiddlewareHandler } from "hono";
import type { HandlerContext } from "../admin/request.js";
import {
  type AdminHandler,
  createAdminHandler,
  type AdminHandlerOptions as WebAdminHandlerOptions,
} from "../handler.js";
import {
  createTracker,
  type EndOptions,
  endFlow,
  type IssueOptions,
  issueFlow,
  type TrackedSession,
  type TrackingAnswer,
  type TrackingOptions,
  type UnauthenticatedReason,
  unauthenticatedAnswer,
} from "../tracking/flow.js";
import {
  type HostAuthenticate,
  type HostOptions,
  type HostTenantResolver,
  viaHost,
} from "./host.js";

export * from "../shared.js";
export * from "../tracking/exports.js";

/** Turns a Hono context into a principal, or null (401). */
export type Authenticate = HostAuthenticate<Context>;
/** The tenant a Hono request acts in. */
export type TenantResolver = HostTenantResolver<Context>;

/** How the middleware learns what Hono's `Request` does not carry. */
export interface HonoMountOptions {
  /**
   * The client's IP address for a request, as the runtime knows it; Hono has no portable one.
   * On Node: `(c) => getConnInfo(c).remote.address ?? null` (`@hono/node-server/conninfo`),
   * behind a proxy the address it vouches for. The handler never reads `X-Forwarded-For`.
   * @default () => null (sessions are listed without a client IP filter value)
   */
  ip?: (c: Context) => string | null | undefined;
}

/** Options of {@link createAdminMiddleware}. */
export type AdminMiddlewareOptions = HostOptions<WebAdminHandlerOptions, Context> &
  HonoMountOptions;

/**
 * Any admin handler as Hono middleware: requests it does not claim go on to `next()`. Paths are
 * Hono's full paths (`c.req.path`): under `app.route("/admin", …)` give the handler
 * `basePath: "/admin"`.
 *
 * ```ts
 * app.use(toHono(createAdminHandler({ ledger, taskRunner, authenticate })));
 * ```
 */
export function toHono(handler: AdminHandler, options: HonoMountOptions = {}): MiddlewareHandler {
  if (typeof handler !== "function" || typeof handler.claims !== "function") {
    throw new TypeError(
      "toHono: expected an admin handler (from createAdminHandler or createOctaneHandler…)",
    );
  }
  const { ip } = options;
  if (ip !== undefined && typeof ip !== "function") {
    throw new TypeError("toHono: 'ip' must be a function (c) => the client's IP address or null");
  }
  return async (c, next) => {
    if (!handler.claims(c.req.path)) return next();
    const context: HandlerContext = {
      raw: c,
      ip: ip?.(c) ?? null,
      signal: c.req.raw.signal,
      ...rawTargetOf(c),
    };
    const response = await handler(c.req.raw, context);
    if (response === null) return next();
    // Reading `c.res` makes Hono hold what earlier middleware set (`c.header`, `setCookie`);
    // setting it merges those into the answer, their headers over ours and their cookies
    // instead of ours, so the answer's own headers are put back on top, its cookies after.
    if (c.res !== response) c.res = response;
    const merged = c.res.headers;
    for (const [name, value] of response.headers) {
      if (name !== "set-cookie") merged.set(name, value);
    }
    for (const cookie of response.headers.getSetCookie()) merged.append("Set-Cookie", cookie);
    return c.res;
  };
}

/**
 * The request target as the client sent it, where the runtime keeps it: `@hono/node-server`
 * hands Node's request over as `c.env.incoming`. Elsewhere the Web request's URL is all there
 * is, normalised by WHATWG URL parsing.
 */
function rawTargetOf(c: Context): { target?: string } {
  const incoming = (c.env as { incoming?: { url?: unknown } } | undefined)?.incoming;
  return typeof incoming?.url === "string" ? { target: incoming.url } : {};
}

/**
 * Every dialect (or those `dialects` names) as Hono middleware, with `authenticate` and
 * `tenant` taking Hono's context; see `createAdminHandler`.
 */
export function createAdminMiddleware(options: AdminMiddlewareOptions): MiddlewareHandler {
  const { ip, ...rest } = options;
  return toHono(
    createAdminHandler(viaHost<WebAdminHandlerOptions, Context>(rest)),
    ip === undefined ? {} : { ip },
  );
}

/** What `sessionTracking` sets on Hono's context: `c.get("sessionLedger")`. */
export interface SessionTrackingEnv {
  Variables: {
    /** Set by `sessionTracking` when the request carries a valid, open session. */
    sessionLedger?: TrackedSession;
  };
}

/** Options of {@link sessionTracking}: Express's, with Hono's context. */
export interface SessionTrackingOptions extends TrackingOptions<Context> {
  /** Replaces the default 401 JSON answer (e.g. `c.redirect(…)`). */
  onUnauthenticated?: (c: Context, reason: UnauthenticatedReason) => Response | Promise<Response>;
}

/** Options of {@link issueSession}. */
export interface IssueSessionOptions extends IssueOptions {
  /**
   * The client's IP address, as the runtime knows it (Hono has no portable one): on Node,
   * `getConnInfo(c).remote.address` of `@hono/node-server/conninfo`. @default null
   */
  clientIp?: string | null;
}

/** Options of {@link endSession}. */
export interface EndSessionOptions extends EndOptions<Context> {}

/** Hono's context as the flows write it: headers go on the answer the route returns. */
const answerOf = (c: Context): TrackingAnswer => ({
  noStore: () => c.header("Cache-Control", "no-store"),
  setCookie: (line) => c.header("Set-Cookie", line, { append: true }),
});

/**
 * Login tracking as Hono middleware: validates the request's token (cookie or bearer), records
 * activity and sets `c.get("sessionLedger")`, clears a cookie whose session is over and, with
 * `required`, answers 401 `{error, message}` for a request without an open session.
 *
 * ```ts
 * app.get("/me", sessionTracking({ ledger, required: true }), (c) =>
 *   c.json({ id: c.get("sessionLedger")?.session.id }),
 * );
 * ```
 */
export function sessionTracking(
  options: SessionTrackingOptions,
): MiddlewareHandler<SessionTrackingEnv> {
  const tracker = createTracker<Context>("sessionTracking", options, "(c, reason) => Response");
  const { onUnauthenticated } = options;
  return async (c, next) => {
    const { tracked, clearCookie, refusal } = await tracker.track(c, c);
    if (clearCookie !== null) {
      c.header("Cache-Control", "no-store");
      c.header("Set-Cookie", clearCookie, { append: true });
    }
    if (tracked !== null) c.set("sessionLedger", tracked);
    if (refusal === null) return next();
    c.header("Cache-Control", "no-store");
    if (onUnauthenticated) return onUnauthenticated(c, refusal);
    const answer = unauthenticatedAnswer(refusal);
    c.header("WWW-Authenticate", answer.headers["WWW-Authenticate"]);
    return c.json(answer.body, answer.status);
  };
}

/**
 * Records a login, as Express's `issueSession` does: the client IP is `clientIp`, and the
 * session cookie goes on the answer the route returns. Returns the session and token.
 */
export function issueSession(c: Context, options: IssueSessionOptions): Promise<CreatedSession> {
  return issueFlow("issueSession", { req: c, headers: c }, answerOf(c), options, ["clientIp"]);
}

/**
 * Logs the request's session out and clears the session cookie, as Express's `endSession`
 * does. Returns true when a session was ended.
 */
export function endSession(c: Context, options: EndSessionOptions): Promise<boolean> {
  return endFlow(
    "endSession",
    { req: c, headers: c, tracked: (c as Context<SessionTrackingEnv>).get("sessionLedger") },
    {
      ...answerOf(c),
      setCookie: (line) => {
        c.header("Set-Cookie", line, { append: true });
        (c as Context<SessionTrackingEnv>).set("sessionLedger", undefined);
      },
    },
    options,
  );
}
