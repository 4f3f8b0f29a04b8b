/**
 * `@session-ledger/http/koa`: the admin handler as Koa middleware.
 *
 * A host's `authenticate` and `tenant` callbacks get Koa's own `ctx` here (its `ctx.state`,
 * `ctx.get(…)`, `ctx.headers`); the handler underneath sees a Web `Request`.
 */
import { isIP } from "node:net";
import type { Context, Middleware } from "koa";
import { pathOf } from "../admin/request.js";
import {
  type AdminHandler,
  createAdminHandler,
  type AdminHandlerOptions as WebAdminHandlerOptions,
} from "../handler.js";
import { sendWebResponse, toWebRequest } from "../node.js";
import {
  type HostAuthenticate,
  type HostOptions,
  type HostTenantResolver,
  viaHost,
} from "./host.js";

export * from "../shared.js";

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
