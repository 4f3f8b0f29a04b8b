/**
 * The request pipeline every admin route shares, whatever its dialect and whatever framework
 * delivered the request: the URL checked at the door (strict decoding, known parameters, 405
 * for other methods), a correlation id, authentication, the tenant and permission checks of
 * SPEC §7, and one way to turn any failure into the dialect's error body. A dialect supplies
 * only its routes, its envelope and the wording of its 401. Requests and answers are Web
 * `Request`s and `Response`s; no framework is involved.
 */
import type { SessionLedger } from "@session-ledger/core";
import { CORRELATION_HEADER, correlationIdOf } from "./correlation.js";
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
import { jsonResponse } from "./reply.js";
import { type AdminRequest, withParams } from "./request.js";
import { defaultTenant } from "./tenant.js";
import { checkUrl, matchPath, type RouteShape } from "./url.js";

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
  unauthenticated?: (req: AdminRequest) => string;
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

/** Answers one admin request, once the pipeline's checks have passed. */
export type RouteHandler = (req: AdminRequest, call: AdminCall) => Promise<Response> | Response;

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
  pathTenant?: (req: AdminRequest) => string;
  /** How errors name the tenant ("shared space", "organization"). @default "tenant" */
  tenantNoun?: string;
  /**
   * False for a route that acts in no tenant (whoami): it is authenticated, but no tenant is
   * resolved or checked, and `tenantId` is "". @default true
   */
  tenant?: boolean;
  handler: RouteHandler;
}

/** One dialect's routes as a handler of Web requests. */
export interface DialectHandler {
  readonly dialect: DialectName;
  /**
   * Whether a request to this path (no query) is one of the dialect's: cheap, so an adapter can
   * pass other requests on without building a Web `Request` for them.
   */
  claims(path: string): boolean;
  /** The answer to a request, or null when it is none of the dialect's routes. */
  handle(req: AdminRequest): Promise<Response | null>;
}

/** Shared route plumbing for one dialect; see {@link createAdminContext}. */
export interface AdminContext<Limits extends AdminLimits> {
  /** The host's ledger. */
  ledger: SessionLedger;
  /** The bounds of a request: the dialect's defaults with the host's overrides. */
  limits: Limits;
  /**
   * The dialect's handler. Its door checks every request's URL first (`checkUrl`: another
   * method is a 405 with `Allow`, a malformed or unknown parameter a 400 naming it); each
   * route then runs after the correlation id, authentication (401), the tenant and its access
   * check, and the permission check (403); every failure gets the dialect's envelope. Every
   * answer, errors included, is sent `Cache-Control: no-store` and `X-Correlation-ID`.
   */
  routes(routes: readonly AdminRoute[]): DialectHandler;
  /** Hands a failure the client is not told about to `onError`, with the correlation id. */
  log(req: AdminRequest, correlationId: string, error: unknown): void;
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
  const limits = resolveAdminLimits(DIALECT_LIMITS[dialect], options.limits, ledger.limits);
  const tenant = options.tenant ?? defaultTenant;
  const onError = options.onError ?? logToConsole;
  const challenge = wording.challenge ?? 'Bearer realm="session-ledger"';
  const unauthenticated = wording.unauthenticated ?? (() => UNAUTHENTICATED);

  function log(req: AdminRequest, correlationId: string, error: unknown): void {
    onError(error, { correlationId, method: req.method, url: req.basePath + req.url });
  }

  /** The error in the dialect's envelope, with the headers its status calls for. */
  function errorResponse(req: AdminRequest, correlationId: string, error: unknown): Response {
    const described = describeError(error);
    // A host's own mistake is told to the client and to the host's log alike.
    if (!described.expose || described.code === "MISCONFIGURED") log(req, correlationId, error);
    let body: unknown;
    try {
      body = envelope(described, correlationId);
    } catch (failure) {
      // The envelope itself failed: answer a bare 500 rather than nothing.
      log(req, correlationId, failure);
      return new Response(null, { status: 500 });
    }
    const response = jsonResponse(body, { status: described.status });
    if (described.status === 401) response.headers.set("WWW-Authenticate", challenge);
    if (described.allow !== undefined) response.headers.set("Allow", described.allow.join(", "));
    return response;
  }

  async function run(
    route: AdminRoute,
    req: AdminRequest,
    call: Pick<AdminCall, "correlationId" | "params">,
  ): Promise<Response> {
    const authenticated = await authenticate(req);
    if (authenticated === null || authenticated === undefined) {
      throw new AdminError("UNAUTHENTICATED", unauthenticated(req));
    }
    const principal = checkPrincipal(authenticated, "the principal authenticate returned");
    let tenantId = "";
    let fromPath: string | null = null;
    if (route.tenant !== false) {
      fromPath = route.pathTenant?.(req) ?? null;
      tenantId = await tenant(req, principal, fromPath);
      requireTenantAccess(principal, tenantId, route.tenantNoun);
    }
    if (route.anyOf !== null) requirePermission(principal, ...route.anyOf);
    return route.handler(req, { ...call, principal, tenantId, fromPath });
  }

  /**
   * Answers one request of `routes`, or null when its path is none of theirs. Every answer to
   * such a request (lists, exports, errors) holds session data or says who may see it, so no
   * cache, shared or private, may keep it.
   */
  async function handle(routes: readonly AdminRoute[], incoming: AdminRequest) {
    let req = incoming;
    let correlationId: string | undefined;
    const idOf = () => (correlationId ??= correlationIdOf(incoming.headers));
    let answer: Response;
    try {
      const url = checkUrl(incoming, routes);
      if (url === null) return null;
      req = withParams(incoming, url.pathParams);
      answer = await run(url.route as AdminRoute, req, {
        correlationId: idOf(),
        params: url.params,
      });
    } catch (error) {
      answer = errorResponse(req, idOf(), error);
    }
    answer.headers.set("Cache-Control", "no-store");
    answer.headers.set(CORRELATION_HEADER, idOf());
    if (req.method !== "HEAD" || answer.body === null) return answer;
    // HEAD: the headers GET would send, without its body (a download is not started).
    await answer.body.cancel();
    return new Response(null, { status: answer.status, headers: answer.headers });
  }

  return {
    ledger,
    limits,
    routes(routes) {
      return {
        dialect,
        claims: (path) => routes.some((route) => matchPath(route.path, path) !== null),
        handle: (req) => handle(routes, req),
      };
    },
    log,
  };
}
