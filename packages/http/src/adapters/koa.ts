/**
 * `@session-ledger/http/koa`: the admin handler as Koa middleware, and login tracking native to
 * Koa (`sessionTracking` sets `ctx.state.sessionLedger`).
 *
 * A host's `authenticate` and `tenant` callbacks get Koa's own `ctx` here (its `ctx.state`,
 * `ctx.get(…)`, `ctx.headers`); the handler underneath sees a Web `Request`.
 */
import { isIP } from "node:net";
import type { CreatedSession } from "@session-ledger/core";
import type { Context, Middleware } from "koa";
import { pathOf } from "../admin/request.js";
import {
  type AdminHandler,
  createAdminHandler,
  type AdminHandlerOptions as WebAdminHandlerOptions,
} from "../handler.js";
import { sendWebResponse, toWebRequest } from "../node.js";
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

/** Turns a Koa context into a principal, or null (401); see `apiKeyAuthenticator`. */
export type Authenticate = HostAuthenticate<Context>;
/** The tenant a Koa request acts in; see `defaultTenant`. */
export type TenantResolver = HostTenantResolver<Context>;
/** Options of {@link createAdminMiddleware}: `createAdminHandler`'s, with Koa's `ctx`. */
export type AdminMiddlewareOptions = HostOptions<WebAdminHandlerOptions, Context>;

/**
 * Any admin handler as Koa middleware: requests it does not claim go on to `next()` untouched,
 * without a Web `Request` being built for them. The client IP is Koa's `ctx.ip`, which honours
 * `app.proxy`. A claimed request is answered by writing to `ctx.res` (`ctx.respond = false`),
 * as fast as the client reads; headers and cookies earlier middleware set with `ctx.set` or
 * `ctx.cookies.set` are kept. Under a prefix (`koa-mount`), paths are relative to it.
 *
 * ```ts
 * app.use(toKoa(createAdminHandler({ ledger, taskRunner, authenticate })));
 * ```
 */
export function toKoa(handler: AdminHandler): Middleware {
  if (typeof handler !== "function" || typeof handler.claims !== "function") {
    throw new TypeError(
      "toKoa: expected an admin handler (from createAdminHandler or createOctaneHandler…)",
    );
  }
  return async (ctx, next) => {
    const target = ctx.url;
    if (!handler.claims(pathOf(target))) return next();
    const { req, res } = ctx;
    // The prefix a mounting middleware took off (koa-mount rewrites ctx.url, not originalUrl).
    const original = ctx.originalUrl;
    const basePath =
      original !== target && original.endsWith(target)
        ? original.slice(0, original.length - target.length)
        : "";
    const { request, context } = toWebRequest(req, res, {
      target,
      basePath,
      ip: isIP(ctx.ip) !== 0 ? ctx.ip : null,
      raw: ctx,
      // A body parser that ran consumed the stream; one that skipped the request did not.
      body: req.readableEnded ? (ctx.request as { body?: unknown }).body : undefined,
    });
    const response = await handler(request, context);
    if (response === null) return next();
    ctx.respond = false;
    await sendWebResponse(res, response);
  };
}

/**
 * Every dialect (or those `dialects` names) as one Koa middleware; see `createAdminHandler`.
 * `authenticate` and `tenant` get Koa's `ctx`.
 *
 * ```ts
 * app.use(createAdminMiddleware({ ledger, taskRunner, authenticate: apiKeyAuthenticator({ keys }) }));
 * ```
 */
export const createAdminMiddleware = (options: AdminMiddlewareOptions): Middleware =>
  toKoa(createAdminHandler(viaHost<WebAdminHandlerOptions, Context>(options)));

declare module "koa" {
  interface DefaultState {
    /** Set by `sessionTracking` when the request carries a valid, open session. */
    sessionLedger?: TrackedSession;
  }
}

/** Options of {@link sessionTracking}: Express's, with Koa's `ctx`. */
export interface SessionTrackingOptions extends TrackingOptions<Context> {
  /** Replaces the default 401 JSON answer (e.g. `ctx.redirect(…)`). */
  onUnauthenticated?: (ctx: Context, reason: UnauthenticatedReason) => unknown;
}

/** Options of {@link issueSession}. */
export interface IssueSessionOptions extends IssueOptions {}

/** Options of {@link endSession}. */
export interface EndSessionOptions extends EndOptions<Context> {}

/** Koa's response as the flows write it. */
const answerOf = (ctx: Context): TrackingAnswer => ({
  noStore: () => ctx.set("Cache-Control", "no-store"),
  setCookie: (line) => ctx.append("Set-Cookie", line),
});

/**
 * Login tracking as Koa middleware: validates the request's token (cookie or bearer), records
 * activity and sets `ctx.state.sessionLedger`, clears a cookie whose session is over and, with
 * `required`, answers 401 `{error, message}` for a request without an open session (the rest of
 * the chain does not run). It reads `ctx.headers`; no Web `Request` is built.
 *
 * ```ts
 * router.get("/me", sessionTracking({ ledger, required: true }), (ctx) => {
 *   ctx.body = { id: ctx.state.sessionLedger?.session.id };
 * });
 * ```
 */
export function sessionTracking(options: SessionTrackingOptions): Middleware {
  const tracker = createTracker<Context>("sessionTracking", options, "(ctx, reason) => void");
  const { onUnauthenticated } = options;
  return async (ctx, next) => {
    const { tracked, clearCookie, refusal } = await tracker.track(ctx, ctx);
    if (clearCookie !== null) {
      ctx.set("Cache-Control", "no-store");
      ctx.append("Set-Cookie", clearCookie);
    }
    if (tracked !== null) ctx.state.sessionLedger = tracked;
    if (refusal === null) return next();
    ctx.set("Cache-Control", "no-store");
    if (onUnauthenticated) {
      await onUnauthenticated(ctx, refusal);
      return;
    }
    const answer = unauthenticatedAnswer(refusal);
    ctx.set("WWW-Authenticate", answer.headers["WWW-Authenticate"]);
    ctx.status = answer.status;
    ctx.body = answer.body;
  };
}

/**
 * Records a login, as Express's `issueSession` does: the client IP is `ctx.ip` (which honours
 * `app.proxy`), and the session cookie goes on `ctx`'s response. Returns the session and token.
 */
export function issueSession(ctx: Context, options: IssueSessionOptions): Promise<CreatedSession> {
  return issueFlow("issueSession", { req: ctx, headers: ctx, ip: ctx.ip }, answerOf(ctx), options);
}

/**
 * Logs the request's session out and clears the session cookie, as Express's `endSession`
 * does. Returns true when a session was ended.
 */
export function endSession(ctx: Context, options: EndSessionOptions): Promise<boolean> {
  return endFlow(
    "endSession",
    { req: ctx, headers: ctx, tracked: ctx.state.sessionLedger },
    {
      ...answerOf(ctx),
      setCookie: (line) => {
        ctx.append("Set-Cookie", line);
        ctx.state.sessionLedger = undefined;
      },
    },
    options,
  );
}
