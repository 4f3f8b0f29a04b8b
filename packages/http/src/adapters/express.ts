/**
 * `@session-ledger/http/express` (also published as `@session-ledger/express`): the admin
 * handler as Express middleware, the five dialect routers under the names Express hosts have
 * used from the start, and login tracking native to Express.
 *
 * A host's `authenticate` and `tenant` callbacks get Express's own `req` here (its `req.user`,
 * `req.get(…)`), as they always have; the handler underneath sees a Web `Request`.
 */
import { isIP } from "node:net";
import type { Request as ExpressRequest, RequestHandler } from "express";
import type { AdminRouterOptions as WebAdminRouterOptions } from "../admin/options.js";
import { pathOf } from "../admin/request.js";
import {
  cogniteDialect,
  type CogniteRouterOptions as WebCogniteOptions,
} from "../cognite/router.js";
import { formalDialect, type FormalRouterOptions as WebFormalOptions } from "../formal/router.js";
import {
  type AdminHandler,
  createAdminHandler,
  serve,
  type AdminHandlerOptions as WebAdminHandlerOptions,
} from "../handler.js";
import {
  logScaleDialect,
  type LogScaleRouterOptions as WebLogScaleOptions,
} from "../logscale/router.js";
import { sendWebResponse, toWebRequest } from "../node.js";
import { octaneDialect, type OctaneRouterOptions as WebOctaneOptions } from "../octane/router.js";
import { saymonDialect, type SaymonRouterOptions as WebSaymonOptions } from "../saymon/router.js";
import {
  type HostAuthenticate,
  type HostOptions,
  type HostTenantResolver,
  viaHost,
} from "./host.js";

export * from "../shared.js";
export {
  DEFAULT_COOKIE_NAME,
  DEFAULT_TENANT,
  type EndSessionOptions,
  endSession,
  type IssueSessionOptions,
  issueSession,
  type SessionCookieOptions,
  type SessionTrackingOptions,
  sessionTracking,
  type TrackedSession,
  type UnauthenticatedReason,
} from "../tracking/tracking.js";

/**
 * Turns an Express request into a principal, or null when it carries no acceptable
 * credentials (401). May be async; a throw is a server error, not a 401.
 */
export type Authenticate = HostAuthenticate<ExpressRequest>;

/** The tenant an Express request acts in; see `defaultTenant`. */
export type TenantResolver = HostTenantResolver<ExpressRequest>;

/** A handler's options with the host's callbacks taking Express's `req`. */
export type ExpressOptions<Options> = HostOptions<Options, ExpressRequest>;

export type OctaneRouterOptions = ExpressOptions<WebOctaneOptions>;
export type CogniteRouterOptions = ExpressOptions<WebCogniteOptions>;
export type LogScaleRouterOptions = ExpressOptions<WebLogScaleOptions>;
export type FormalRouterOptions = ExpressOptions<WebFormalOptions>;
export type SaymonRouterOptions = ExpressOptions<WebSaymonOptions>;
/** The options every router takes, with the host's callbacks on Express's `req`. */
export type AdminRouterOptions = ExpressOptions<WebAdminRouterOptions>;
/** Options of {@link createAdminRouter}. */
export type AdminHandlerOptions = ExpressOptions<WebAdminHandlerOptions>;

/** The host's callbacks handed the Express request underneath the Web one. */
const viaExpress = <Options extends WebAdminRouterOptions>(options: ExpressOptions<Options>) =>
  viaHost<Options, ExpressRequest>(options);

/**
 * Any admin handler (or the console's) as Express middleware: requests it does not claim go
 * on to `next()` untouched, without a Web `Request` being built for them. The client IP is
 * Express's `req.ip`, which honours the app's `trust proxy` setting.
 */
export function toExpress(handler: AdminHandler): RequestHandler {
  return (req, res, next) => {
    if (!handler.claims(pathOf(req.url))) {
      next();
      return;
    }
    const { request, context } = toWebRequest(req, res, {
      target: req.url,
      basePath: req.baseUrl,
      ip: typeof req.ip === "string" && isIP(req.ip) !== 0 ? req.ip : null,
      raw: req,
      // A body parser that ran consumed the stream; one that skipped the request did not.
      body: req.readableEnded ? req.body : undefined,
    });
    handler(request, context)
      .then((response) => (response === null ? next() : sendWebResponse(res, response)))
      .catch(next);
  };
}

/**
 * Every dialect (or those `dialects` names) as one Express middleware; see `createAdminHandler`.
 *
 * ```ts
 * app.use(createAdminRouter({ ledger, taskRunner, authenticate: apiKeyAuthenticator({ keys }) }));
 * ```
 */
export const createAdminRouter = (options: AdminHandlerOptions): RequestHandler =>
  toExpress(createAdminHandler(viaExpress<WebAdminHandlerOptions>(options)));

/**
 * The ALM Octane routes. Mount at the application root (or under a prefix), before an
 * app-wide `express.json()` (or let that parser skip these routes), so a malformed body gets
 * Octane's error body:
 *
 * ```ts
 * app.use(createOctaneRouter({ ledger, taskRunner, authenticate: apiKeyAuthenticator({ keys }) }));
 * ```
 */
export const createOctaneRouter = (options: OctaneRouterOptions): RequestHandler =>
  toExpress(serve([octaneDialect(viaExpress(options), "createOctaneRouter")], ""));

/** The Cognite routes; `:principal` is the user id the host's sessions carry. */
export const createCogniteRouter = (options: CogniteRouterOptions): RequestHandler =>
  toExpress(serve([cogniteDialect(viaExpress(options), "createCogniteRouter")], ""));

/** The LogScale GraphQL route (`POST /graphql`, or `path`). */
export const createLogScaleRouter = (options: LogScaleRouterOptions): RequestHandler =>
  toExpress(serve([logScaleDialect(viaExpress(options), "createLogScaleRouter")], ""));

/** The Formal routes (`/core.v1.SessionsService/…`). */
export const createFormalRouter = (options: FormalRouterOptions): RequestHandler =>
  toExpress(serve([formalDialect(viaExpress(options), "createFormalRouter")], ""));

/** The SAYMON session log (`GET /node/api/users/session/log`). */
export const createSaymonRouter = (options: SaymonRouterOptions): RequestHandler =>
  toExpress(serve([saymonDialect(viaExpress(options), "createSaymonRouter")], ""));
