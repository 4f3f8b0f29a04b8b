/**
 * The request pipeline every admin route shares, whatever its dialect: the URL checked at the
 * router's door (strict decoding, known parameters, 405 for other methods), a correlation id,
 * authentication, the tenant and permission checks of SPEC §7, and one way to turn any
 * failure into the dialect's error body. A dialect supplies only its routes and its envelope.
 */
import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from "express";
import { correlationIdFor } from "./correlation.js";
import { AdminError, describeError, type ErrorDescription } from "./errors.js";
import {
  type Authenticate,
  type Permission,
  type Principal,
  requirePermission,
  requireTenantAccess,
} from "./principal.js";
import { checkUrl, type RouteShape } from "./url.js";

/** Renders an error in a dialect's own body shape. */
export type ErrorEnvelope = (error: ErrorDescription, correlationId: string) => unknown;

/** Receives failures the client is not told about (5xx, errors after a download started). */
export type AdminErrorLogger = (
  error: unknown,
  info: { correlationId: string; method: string; url: string },
) => void;

/** Options of {@link createAdminContext}. */
export interface AdminContextOptions {
  authenticate: Authenticate;
  envelope: ErrorEnvelope;
  /** @default logs to `console.error` with the correlation id */
  onError?: AdminErrorLogger;
  /** The `WWW-Authenticate` challenge sent with a 401. @default `Bearer realm="session-ledger"` */
  challenge?: string;
}

/** What a route handler knows about the call once the checks have passed. */
export interface AdminCall {
  principal: Principal;
  correlationId: string;
  /** The tenant the route acts in, as checked against the principal. */
  tenantId: string;
  /** The query string, strictly decoded: only the route's parameters, each at most once. */
  params: URLSearchParams;
}

/** The checks a route needs before its handler runs. */
export interface AdminRouteOptions {
  /** The caller needs at least one of these. */
  anyOf: readonly [Permission | string, ...(Permission | string)[]];
  /**
   * Where the tenant comes from: the `:space` path parameter, or the caller (see
   * `TenantResolver`). Runs after authentication, so it may use the principal.
   */
  tenant: (req: Request, principal: Principal) => string | Promise<string>;
  /** How errors name the tenant ("shared space", "organization"). @default "tenant" */
  tenantNoun?: string;
}

export type AdminHandler = (req: Request, res: Response, call: AdminCall) => Promise<void> | void;

/** One route of a dialect: where it is, what it reads, who may call it, and its handler. */
export interface AdminRoute extends RouteShape, AdminRouteOptions {
  handler: AdminHandler;
}

/** Shared route plumbing for one dialect; see {@link createAdminContext}. */
export interface AdminContext {
  /**
   * The dialect's router. Its door ({@link AdminContext.guard}) checks every request's URL
   * first; each handler then runs after the correlation id, authentication (401), tenant
   * access and permission checks (403); every failure gets the dialect's envelope. Async
   * errors are caught here, so routes behave the same on Express 4, which does not catch
   * them itself, and Express 5.
   */
  router(routes: readonly AdminRoute[]): Router;
  /**
   * Middleware that checks the URL of a request to one of `routes` before Express decodes it
   * (`checkUrl`): another method is a 405 with `Allow`, a malformed or unknown parameter a
   * 400 naming it. Requests to other paths pass untouched.
   */
  guard(routes: readonly RouteShape[]): RequestHandler;
  /**
   * Answers with the error in the dialect's envelope. A response already under way (a
   * download) is cut off instead, so the client sees a failed transfer, not a short file.
   */
  sendError(req: Request, res: Response, error: unknown): void;
  /** Error middleware for the dialect's router: anything passed to `next(error)` there. */
  errorHandler: ErrorRequestHandler;
}

/** The logger used when a router is given no `onError`: `console.error` with the correlation id. */
export const logToConsole: AdminErrorLogger = (error, info) => {
  console.error(
    `session-ledger: ${info.method} ${info.url} failed (correlation id ${info.correlationId})`,
    error,
  );
};

/** Builds the shared route plumbing for one dialect. */
export function createAdminContext(options: AdminContextOptions): AdminContext {
  const { authenticate, envelope } = options;
  const onError = options.onError ?? logToConsole;
  const challenge = options.challenge ?? 'Bearer realm="session-ledger"';

  const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
    sendError(req, res, error);
  };

  function sendError(req: Request, res: Response, error: unknown): void {
    const correlationId = correlationIdFor(req, res);
    const described = describeError(error);
    if (!described.expose || res.headersSent) {
      onError(error, { correlationId, method: req.method, url: req.originalUrl ?? req.url });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    try {
      if (described.status === 401) res.setHeader("WWW-Authenticate", challenge);
      if (described.allow !== undefined) res.setHeader("Allow", described.allow.join(", "));
      res.status(described.status).json(envelope(described, correlationId));
    } catch (failure) {
      // The envelope itself failed: nothing sensible is left to send.
      onError(failure, { correlationId, method: req.method, url: req.originalUrl ?? req.url });
      res.destroy();
    }
  }

  async function run(
    route: AdminRoute,
    req: Request,
    res: Response,
    correlationId: string,
  ): Promise<void> {
    // The door checked the URL already; reading it again here keeps the two independent.
    const url = checkUrl(req, [route]);
    if (url === null) throw new Error(`${req.url} does not match ${route.path}`);
    const principal = await authenticate(req);
    if (!principal) {
      throw new AdminError(
        "UNAUTHENTICATED",
        "authentication required: send an API key (X-API-KEY or Authorization: Bearer)",
      );
    }
    const tenantId = await route.tenant(req, principal);
    requireTenantAccess(principal, tenantId, route.tenantNoun);
    requirePermission(principal, ...route.anyOf);
    await route.handler(req, res, { principal, correlationId, tenantId, params: url.params });
  }

  function guard(routes: readonly RouteShape[]): RequestHandler {
    return (req, res, next) => {
      try {
        checkUrl(req, routes);
      } catch (error) {
        sendError(req, res, error);
        return;
      }
      next();
    };
  }

  return {
    router(routes) {
      const router = express.Router();
      router.use(guard(routes));
      for (const route of routes) {
        const handle: RequestHandler = (req, res) => {
          const correlationId = correlationIdFor(req, res);
          void run(route, req, res, correlationId).catch((error: unknown) =>
            sendError(req, res, error),
          );
        };
        if (route.method === "GET") router.get(route.path, handle);
        else if (route.method === "PUT") router.put(route.path, handle);
        else router.post(route.path, handle);
      }
      router.use(errorHandler);
      return router;
    },
    guard,
    sendError,
    errorHandler,
  };
}
