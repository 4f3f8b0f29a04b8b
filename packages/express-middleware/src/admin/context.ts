/**
 * The request pipeline every admin route shares, whatever its dialect: the URL checked at the
 * router's door (strict decoding, known parameters, 405 for other methods), a correlation id,
 * authentication, the tenant and permission checks of SPEC §7, and one way to turn any
 * failure into the dialect's error body. A dialect supplies only its routes, its envelope and
 * the wording of its 401.
 */
import type { SessionLedger } from "@session-ledger/core";
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
  type AdminLimits,
  DIALECT_LIMITS,
  type DialectLimits,
  type DialectName,
  resolveAdminLimits,
} from "./limits.js";
import type { AdminRouterOptions } from "./options.js";
import {
  checkPrincipal,
  type Permission,
  type Principal,
  requirePermission,
  requireTenantAccess,
} from "./principal.js";
import { defaultTenant } from "./tenant.js";
import { checkUrl, type RouteShape } from "./url.js";

/** Renders an error in a dialect's own body shape. */
export type ErrorEnvelope = (error: ErrorDescription, correlationId: string) => unknown;

/** Receives failures the client is not told about (5xx, errors after a download started). */
export type AdminErrorLogger = (
  error: unknown,
  info: { correlationId: string; method: string; url: string },
) => void;

/** How a dialect words a 401, where it differs from the default. */
export interface Wording {
  /** The `WWW-Authenticate` challenge sent with a 401. @default `Bearer realm="session-ledger"` */
  challenge?: string;
  /**
   * The message of a 401 (SAYMON tells a rejected password from a missing login).
   * @default "authentication required: send an API key (X-API-KEY or Authorization: Bearer)"
   */
  unauthenticated?: (req: Request) => string;
}

/** What a route handler knows about the call once the checks have passed. */
export interface AdminCall {
  principal: Principal;
  correlationId: string;
  /** The tenant the route acts in, as checked against the principal. */
  tenantId: string;
  /** The tenant the path names (`:space`, `:org`), as given; null when it names none. */
  fromPath: string | null;
  /** The query string, strictly decoded: only the route's parameters, each at most once. */
  params: URLSearchParams;
}

export type AdminHandler = (req: Request, res: Response, call: AdminCall) => Promise<void> | void;

/** One route of a dialect: where it is, what it reads, who may call it, and its handler. */
export interface AdminRoute extends RouteShape {
  /**
   * The caller needs at least one of these; null when the handler checks permissions itself
   * (LogScale checks them per field of the document).
   */
  anyOf: readonly [Permission, ...Permission[]] | null;
  /**
   * Reads the tenant the path names (`:space`, `:org`), checked against the dialect's rules
   * for it; it goes to the tenant resolver as `fromPath`. Runs after authentication.
   */
  pathTenant?: (req: Request) => string;
  /** How errors name the tenant ("shared space", "organization"). @default "tenant" */
  tenantNoun?: string;
  handler: AdminHandler;
}

/** Shared route plumbing for one dialect; see {@link createAdminContext}. */
export interface AdminContext<Limits extends AdminLimits> {
  /** The host's ledger. */
  ledger: SessionLedger;
  /** The bounds of a request: the dialect's defaults with the host's overrides. */
  limits: Limits;
  /**
   * The dialect's router. Its door checks every request's URL first (`checkUrl`: another
   * method is a 405 with `Allow`, a malformed or unknown parameter a 400 naming it); each
   * handler then runs after the correlation id, authentication (401), the tenant and its
   * access check, and the permission check (403); every failure gets the dialect's envelope.
   * Async errors are caught here, so routes behave the same on Express 4, which does not catch
   * them itself, and Express 5. Every answer, errors included, is sent `Cache-Control: no-store`.
   */
  router(routes: readonly AdminRoute[]): Router;
  /** Hands a failure the client is not told about to `onError`, with the correlation id. */
  log(req: Request, res: Response, error: unknown): void;
}

/** The logger used when a router is given no `onError`: `console.error` with the correlation id. */
const logToConsole: AdminErrorLogger = (error, info) => {
  console.error(
    `session-ledger: ${info.method} ${info.url} failed (correlation id ${info.correlationId})`,
    error,
  );
};

const UNAUTHENTICATED =
  "authentication required: send an API key (X-API-KEY or Authorization: Bearer)";

/**
 * Builds the shared route plumbing for one dialect from the host's router options, checked by
 * `checkRouterOptions` first: its row of `DIALECT_LIMITS` with the host's overrides, its error
 * body, and its wording of a 401.
 * @throws ValidationError when a `limits` override is not a positive integer
 */
export function createAdminContext<Name extends DialectName>(
  options: AdminRouterOptions<DialectLimits[Name]>,
  dialect: Name,
  envelope: ErrorEnvelope,
  wording: Wording = {},
): AdminContext<DialectLimits[Name]> {
  const { ledger, authenticate } = options;
  const limits = resolveAdminLimits(DIALECT_LIMITS[dialect], options.limits);
  const tenant = options.tenant ?? defaultTenant;
  const onError = options.onError ?? logToConsole;
  const challenge = wording.challenge ?? 'Bearer realm="session-ledger"';
  const unauthenticated = wording.unauthenticated ?? (() => UNAUTHENTICATED);

  function log(req: Request, res: Response, error: unknown): void {
    const correlationId = correlationIdFor(req, res);
    onError(error, { correlationId, method: req.method, url: req.originalUrl ?? req.url });
  }

  /**
   * Answers with the error in the dialect's envelope. A response already under way (a
   * download) is cut off instead, so the client sees a failed transfer, not a short file.
   */
  function sendError(req: Request, res: Response, error: unknown): void {
    const correlationId = correlationIdFor(req, res);
    const described = describeError(error);
    // A host's own mistake is told to the client and to the host's log alike.
    if (!described.expose || described.code === "MISCONFIGURED" || res.headersSent) {
      log(req, res, error);
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
      log(req, res, failure);
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
    const authenticated = await authenticate(req);
    if (authenticated === null || authenticated === undefined) {
      throw new AdminError("UNAUTHENTICATED", unauthenticated(req));
    }
    const principal = checkPrincipal(authenticated, "the principal authenticate returned");
    const fromPath = route.pathTenant?.(req) ?? null;
    const tenantId = await tenant(req, principal, fromPath);
    requireTenantAccess(principal, tenantId, route.tenantNoun);
    if (route.anyOf !== null) requirePermission(principal, ...route.anyOf);
    await route.handler(req, res, {
      principal,
      correlationId,
      tenantId,
      fromPath,
      params: url.params,
    });
  }

  /**
   * The door: checks the URL of a request to one of `routes` before Express decodes it. Every
   * answer to such a request (lists, exports, errors) holds session data or says who may see
   * it, so no cache, shared or private, may keep it; other requests pass on untouched.
   */
  function guard(routes: readonly RouteShape[]): RequestHandler {
    return (req, res, next) => {
      try {
        if (checkUrl(req, routes) !== null) res.setHeader("Cache-Control", "no-store");
      } catch (error) {
        res.setHeader("Cache-Control", "no-store");
        sendError(req, res, error);
        return;
      }
      next();
    };
  }

  return {
    ledger,
    limits,
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
      // Anything passed to `next(error)` inside the router.
      const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
        sendError(req, res, error);
      };
      router.use(errorHandler);
      return router;
    },
    log,
  };
}
