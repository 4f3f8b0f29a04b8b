/**
 * `@session-ledger/http/next`: the admin handler as Next.js App Router route handlers, and login
 * tracking for route handlers (`sessionTracking(…).sessionOf(request)`, `issueSession`,
 * `endSession`, each handing back the headers of the route's answer). A catch-all route
 * (`app/api/admin/[...path]/route.ts`) exports the admin's handlers, and the handler serves its
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
import type { CreatedSession } from "@session-ledger/core";
import type { Principal } from "../admin/principal.js";
import type { AdminRequest } from "../admin/request.js";
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
import { type HostOptions, viaHost } from "./host.js";

export * from "../shared.js";
export * from "../tracking/exports.js";

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

/** Options of {@link sessionTracking}: Express's, with the route's Web `Request`. */
export interface SessionTrackingOptions extends TrackingOptions<Request> {
  /** Replaces the default 401 JSON answer (e.g. `Response.redirect(…)`). */
  onUnauthenticated?: (
    request: Request,
    reason: UnauthenticatedReason,
  ) => Response | Promise<Response>;
}

/** Options of {@link issueSession}. */
export interface IssueSessionOptions extends IssueOptions {
  /**
   * The client's IP address. The App Router gives none; behind a proxy you trust, the header it
   * sets (and only it). @default null
   */
  clientIp?: string | null;
}

/** Options of {@link endSession}. */
export interface EndSessionOptions extends EndOptions<Request> {}

/** What `sessionOf` found for a request. */
export interface SessionLookup {
  /** The open session the request presents, or null. */
  sessionLedger: TrackedSession | null;
  /**
   * With `required` and no open session, the answer to return: the 401 `{error, message}` (or
   * `onUnauthenticated`'s), carrying `headers`. Null when the route may go on.
   */
  unauthenticated: Response | null;
  /** Headers the route's answer must carry: the cleared cookie of a session that is over. */
  headers: Headers;
}

/** Login tracking for route handlers: `sessionOf(request)` is the per-request check. */
export interface NextSessionTracking {
  sessionOf(request: Request): Promise<SessionLookup>;
}

/** A login's session and token, and the headers (its cookie, no-store) of the route's answer. */
export interface IssuedSession extends CreatedSession {
  headers: Headers;
}

/** A logout's outcome, and the headers (the cleared cookie, no-store) of the route's answer. */
export interface EndedSession {
  ended: boolean;
  headers: Headers;
}

/** The sessions `sessionOf` found, for `endSession` on the same request. */
const TRACKED = new WeakMap<Request, TrackedSession>();

/** Headers the flows write into, for the route's answer. */
const answerInto = (headers: Headers): TrackingAnswer => ({
  noStore: () => headers.set("Cache-Control", "no-store"),
  setCookie: (line) => headers.append("Set-Cookie", line),
});

/**
 * Login tracking for App Router route handlers, its options checked here once:
 *
 * ```ts
 * const { sessionOf } = sessionTracking({ ledger, required: true });
 * export async function GET(request: Request) {
 *   const { sessionLedger, unauthenticated, headers } = await sessionOf(request);
 *   if (unauthenticated) return unauthenticated;
 *   return Response.json({ id: sessionLedger?.session.id }, { headers });
 * }
 * ```
 */
export function sessionTracking(options: SessionTrackingOptions): NextSessionTracking {
  const tracker = createTracker<Request>(
    "sessionTracking",
    options,
    "(request, reason) => Response",
  );
  const { onUnauthenticated } = options;
  return {
    async sessionOf(request) {
      const { tracked, clearCookie, refusal } = await tracker.track(request, request);
      const headers = new Headers();
      if (clearCookie !== null) {
        headers.set("Cache-Control", "no-store");
        headers.append("Set-Cookie", clearCookie);
      }
      if (tracked !== null) TRACKED.set(request, tracked);
      if (refusal === null) return { sessionLedger: tracked, unauthenticated: null, headers };
      headers.set("Cache-Control", "no-store");
      let unauthenticated: Response;
      if (onUnauthenticated) {
        // The host's answer may have immutable headers (`Response.redirect`): a copy carries ours.
        const own = await onUnauthenticated(request, refusal);
        const merged = new Headers(own.headers);
        for (const [name, value] of headers) {
          if (name === "set-cookie") merged.append(name, value);
          else merged.set(name, value);
        }
        unauthenticated = new Response(own.body, {
          status: own.status,
          statusText: own.statusText,
          headers: merged,
        });
      } else {
        const answer = unauthenticatedAnswer(refusal);
        headers.set("WWW-Authenticate", answer.headers["WWW-Authenticate"]);
        unauthenticated = Response.json(answer.body, { status: answer.status, headers });
      }
      return { sessionLedger: null, unauthenticated, headers };
    },
  };
}

/**
 * Records a login, as Express's `issueSession` does: the client IP is `clientIp`. Returns the
 * session and token, and the headers (the session cookie, no-store) to answer with.
 */
export async function issueSession(
  request: Request,
  options: IssueSessionOptions,
): Promise<IssuedSession> {
  const headers = new Headers();
  const created = await issueFlow(
    "issueSession",
    { req: request, headers: request },
    answerInto(headers),
    options,
    ["clientIp"],
  );
  return { ...created, headers };
}

/**
 * Logs the request's session out, as Express's `endSession` does: the one `sessionOf` found,
 * or else the one of the request's token. Returns whether a session was ended, and the headers
 * (the cleared cookie, no-store) to answer with.
 */
export async function endSession(
  request: Request,
  options: EndSessionOptions,
): Promise<EndedSession> {
  const headers = new Headers();
  const ended = await endFlow(
    "endSession",
    { req: request, headers: request, tracked: TRACKED.get(request) },
    {
      ...answerInto(headers),
      setCookie: (line) => {
        headers.append("Set-Cookie", line);
        TRACKED.delete(request);
      },
    },
    options,
  );
  return { ended, headers };
}
