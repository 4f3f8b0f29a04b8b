/**
 * `@session-ledger/http/next`: the admin handler as Next.js App Router route handlers. A
 * catch-all route (`app/api/admin/[...path]/route.ts`) exports them, and the handler serves its
 * routes under that route's path:
 *
 * ```ts
 * export const { GET, HEAD, POST, PUT, PATCH, DELETE } = nextAdmin({
 *   ledger, taskRunner, authenticate: apiKeyAuthenticator({ keys }), basePath: "/api/admin",
 * });
 * ```
 *
 * Nothing of Next.js is imported: its route handlers take and return Web `Request`s and
 * `Response`s. Use the Node.js runtime (the default), not the edge one: exports stream through
 * `node:stream`.
 */
import type { Principal } from "../admin/principal.js";
import type { AdminRequest } from "../admin/request.js";
import {
  type AdminHandler,
  createAdminHandler,
  type AdminHandlerOptions as WebAdminHandlerOptions,
} from "../handler.js";
import { type HostOptions, viaHost } from "./host.js";

export * from "../shared.js";

/** A route handler of the App Router. */
export type RouteHandler = (request: Request) => Promise<Response>;

/**
 * The route handlers a `route.ts` exports. PATCH and DELETE are there so that a dialect answers
 * them with its own 405 and `Allow`, rather than Next.js with a bare one.
 */
export interface NextRouteHandlers {
  GET: RouteHandler;
  HEAD: RouteHandler;
  POST: RouteHandler;
  PUT: RouteHandler;
  PATCH: RouteHandler;
  DELETE: RouteHandler;
}

/** How the route handlers learn what the App Router's `Request` does not carry. */
export interface NextMountOptions {
  /**
   * The client's IP address for a request. The App Router gives none; behind a proxy you trust,
   * read the header it sets (and only it). The handler never reads `X-Forwarded-For` itself.
   * @default () => null
   */
  ip?: (request: Request) => string | null | undefined;
}

/** Options of {@link nextAdmin}: `authenticate` and `tenant` get the Web `Request`. */
export type NextAdminOptions = HostOptions<WebAdminHandlerOptions, Request> & NextMountOptions;

const notFound = (request: Request) =>
  Response.json(
    { message: `no admin route ${request.method} ${new URL(request.url).pathname}` },
    { status: 404, headers: { "Cache-Control": "no-store" } },
  );

/**
 * Any admin handler as route handlers: a path the handler does not claim is a JSON 404 (the
 * catch-all route owns every path under it).
 */
export function toNext(handler: AdminHandler, options: NextMountOptions = {}): NextRouteHandlers {
  if (typeof handler !== "function" || typeof handler.claims !== "function") {
    throw new TypeError(
      "toNext: expected an admin handler (from createAdminHandler or createOctaneHandler…)",
    );
  }
  const { ip } = options;
  if (ip !== undefined && typeof ip !== "function") {
    throw new TypeError("toNext: 'ip' must be a function (request) => the client's IP or null");
  }
  const route: RouteHandler = async (request) =>
    (await handler(request, { raw: request, ip: ip?.(request) ?? null })) ?? notFound(request);
  return { GET: route, HEAD: route, POST: route, PUT: route, PATCH: route, DELETE: route };
}

/** Every dialect (or those `dialects` names) as App Router route handlers. */
export function nextAdmin(options: NextAdminOptions): NextRouteHandlers {
  const { ip, ...rest } = options;
  return toNext(
    createAdminHandler(viaHost<WebAdminHandlerOptions, Request>(rest)),
    ip === undefined ? {} : { ip },
  );
}

export type { AdminRequest, Principal };
