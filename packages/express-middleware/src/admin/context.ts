/**
 * The request pipeline every admin route shares, whatever its dialect: a correlation id,
 * authentication, the tenant and permission checks of SPEC §7, and one way to turn any
 * failure into the dialect's error body. A dialect supplies only its envelope.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import { correlationIdFor } from "./correlation.js";
import { AdminError, describeError, type ErrorDescription } from "./errors.js";
import {
  type Authenticate,
  type Permission,
  type Principal,
  requirePermission,
  requireTenantAccess,
} from "./principal.js";

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

/** Shared route plumbing for one dialect; see {@link createAdminContext}. */
export interface AdminContext {
  /**
   * Wraps a handler with the correlation id, authentication (401), tenant access and
   * permission checks (403), and error rendering. Async errors are caught here, so routes
   * behave the same on Express 4, which does not catch them itself, and Express 5.
   */
  route(options: AdminRouteOptions, handler: AdminHandler): RequestHandler;
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
      res.status(described.status).json(envelope(described, correlationId));
    } catch (failure) {
      // The envelope itself failed: nothing sensible is left to send.
      onError(failure, { correlationId, method: req.method, url: req.originalUrl ?? req.url });
      res.destroy();
    }
  }

  async function run(
    route: AdminRouteOptions,
    handler: AdminHandler,
    req: Request,
    res: Response,
    correlationId: string,
  ): Promise<void> {
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
    await handler(req, res, { principal, correlationId, tenantId });
  }

  return {
    route(route, handler) {
      return (req, res) => {
        const correlationId = correlationIdFor(req, res);
        void run(route, handler, req, res, correlationId).catch((error: unknown) =>
          sendError(req, res, error),
        );
      };
    },
    sendError,
    errorHandler(error, req, res, _next) {
      sendError(req, res, error);
    },
  };
}
