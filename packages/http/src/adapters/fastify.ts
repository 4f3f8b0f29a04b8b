/**
 * `@session-ledger/http/fastify`: the admin handler as a Fastify plugin, and login tracking native
 * to Fastify (`sessionTracking`, an `onRequest` hook that sets `request.sessionLedger`).
 *
 * The plugin adds one `onRequest` hook to the instance it is registered on (it is not
 * encapsulated, like a `fastify-plugin` one). A request whose path the handler claims is
 * answered there, before Fastify parses a body: the handler reads the stream itself, under its
 * own 415/413/400 rules. Every other request goes on to Fastify's routing, its hooks and its
 * parsers untouched, without a Web `Request` being built for it.
 *
 * A host's `authenticate` and `tenant` callbacks get Fastify's own `request` here (its
 * `request.user`, `request.headers`); the handler underneath sees a Web `Request`.
 */
import { isIP } from "node:net";
import type { CreatedSession } from "@session-ledger/core";
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
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

/** Turns a Fastify request into a principal, or null (401); see `apiKeyAuthenticator`. */
export type Authenticate = HostAuthenticate<FastifyRequest>;
/** The tenant a Fastify request acts in; see `defaultTenant`. */
export type TenantResolver = HostTenantResolver<FastifyRequest>;
/** Options of {@link createAdminPlugin}: `createAdminHandler`'s, with Fastify's `request`. */
export type AdminPluginOptions = HostOptions<WebAdminHandlerOptions, FastifyRequest>;

/** Answers a claimed request from its `onRequest` hook; see {@link toFastify}. */
async function answer(
  handler: AdminHandler,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const target = request.raw.url ?? "/";
  if (!handler.claims(pathOf(target))) return;
  const { request: web, context } = toWebRequest(request.raw, reply.raw, {
    target,
    ip: isIP(request.ip) !== 0 ? request.ip : null,
    raw: request,
  });
  const response = await handler(web, context);
  if (response === null) return;
  // Fastify writes its reply headers only when it sends; the hijacked answer takes them over.
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) reply.raw.setHeader(name, value);
  }
  reply.hijack();
  await sendWebResponse(reply.raw, response);
}

/**
 * Fastify's `frameworkErrors` option for an app that mounts admin handlers. A path Fastify's
 * router refuses itself (a broken percent-escape, bytes that are not UTF-8) never reaches a
 * hook, so without this it gets Fastify's own 400 rather than the dialect's error body that
 * names the path parameter. Requests no handler claims get Fastify's default answer.
 *
 * ```ts
 * const admin = createAdminHandler({ ledger, taskRunner, authenticate });
 * const app = Fastify({ frameworkErrors: adminFrameworkErrors(admin) });
 * await app.register(toFastify(admin));
 * ```
 */
export function adminFrameworkErrors(
  ...handlers: AdminHandler[]
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    void (async () => {
      for (const handler of handlers) {
        await answer(handler, request, reply);
        if (reply.sent) return;
      }
      reply.code(error.statusCode ?? 400).send({
        error: "Bad Request",
        code: error.code,
        message: error.message,
        statusCode: error.statusCode ?? 400,
      });
    })().catch((failure: unknown) => reply.send(failure));
  };
}

/**
 * Any admin handler as a Fastify plugin: requests it does not claim go on to Fastify's own
 * routing. The client IP is Fastify's `request.ip`, which honours the `trustProxy` option.
 * Register it before the routes whose hooks should not see admin requests; headers and
 * cookies set with `reply.header(…)` by earlier `onRequest` hooks are kept on its answers.
 *
 * ```ts
 * await app.register(toFastify(createAdminHandler({ ledger, taskRunner, authenticate })));
 * ```
 */
export function toFastify(handler: AdminHandler): FastifyPluginAsync {
  if (typeof handler !== "function" || typeof handler.claims !== "function") {
    throw new TypeError(
      "toFastify: expected an admin handler (from createAdminHandler or createOctaneHandler…)",
    );
  }
  const plugin: FastifyPluginAsync = async (app) => {
    app.addHook("onRequest", (request, reply) => answer(handler, request, reply));
  };
  // The hook belongs to the instance the plugin is registered on, not to a child context.
  return Object.assign(plugin, {
    [Symbol.for("skip-override")]: true,
    [Symbol.for("fastify.display-name")]: "session-ledger-admin",
  });
}

/**
 * Every dialect (or those `dialects` names) as one Fastify plugin; see `createAdminHandler`.
 * `authenticate` and `tenant` get Fastify's `request`.
 *
 * ```ts
 * await app.register(createAdminPlugin({ ledger, taskRunner, authenticate: apiKeyAuthenticator({ keys }) }));
 * ```
 */
export const createAdminPlugin = (options: AdminPluginOptions): FastifyPluginAsync =>
  toFastify(createAdminHandler(viaHost<WebAdminHandlerOptions, FastifyRequest>(options)));

/** The session `sessionTracking` found, on Fastify's request. */
declare module "fastify" {
  interface FastifyRequest {
    /** Set by `sessionTracking` when the request carries a valid, open session. */
    sessionLedger?: TrackedSession;
  }
}

/** Options of {@link sessionTracking}: Express's, with Fastify's `request` and `reply`. */
export interface SessionTrackingOptions extends TrackingOptions<FastifyRequest> {
  /** Replaces the default 401 JSON answer (e.g. `reply.redirect(…)`); it must send the reply. */
  onUnauthenticated?: (
    request: FastifyRequest,
    reply: FastifyReply,
    reason: UnauthenticatedReason,
  ) => unknown;
}

/** Options of {@link issueSession}. */
export interface IssueSessionOptions extends IssueOptions {}

/** Options of {@link endSession}. */
export interface EndSessionOptions extends EndOptions<FastifyRequest> {}

/** Fastify's reply as the flows write it (headers are sent with the reply). */
const answerOf = (reply: FastifyReply): TrackingAnswer => ({
  noStore: () => reply.header("Cache-Control", "no-store"),
  setCookie: (line) => appendCookie(reply, line),
});

/** Appends a `Set-Cookie` line: Fastify's `reply.header` keeps every one of that header. */
const appendCookie = (reply: FastifyReply, line: string) => reply.header("Set-Cookie", line);

/**
 * Login tracking as a Fastify plugin: one `onRequest` hook that validates the request's token
 * (cookie or bearer), records activity and sets `request.sessionLedger`, clears a cookie whose
 * session is over and, with `required`, answers 401 `{error, message}` for a request without an
 * open session. Like the admin plugin it is not encapsulated: it covers the routes of the
 * instance it is registered on, so register it inside the `app.register(…)` of the routes it
 * guards. The check reads `request.headers`; no Web `Request` is built.
 *
 * ```ts
 * await app.register(async (users) => {
 *   await users.register(sessionTracking({ ledger, required: true }));
 *   users.get("/me", async (request) => ({ id: request.sessionLedger?.session.id }));
 * });
 * ```
 */
export function sessionTracking(options: SessionTrackingOptions): FastifyPluginAsync {
  const tracker = createTracker<FastifyRequest>(
    "sessionTracking",
    options,
    "(request, reply, reason) => void",
  );
  const { onUnauthenticated } = options;
  const plugin: FastifyPluginAsync = async (app) => {
    // One shape for every request: Fastify's own advice for request properties.
    if (!app.hasRequestDecorator("sessionLedger")) app.decorateRequest("sessionLedger", undefined);
    app.addHook("onRequest", async (request, reply) => {
      const { tracked, clearCookie, refusal } = await tracker.track(request, request);
      if (clearCookie !== null) {
        reply.header("Cache-Control", "no-store");
        appendCookie(reply, clearCookie);
      }
      if (tracked !== null) request.sessionLedger = tracked;
      if (refusal === null) return;
      reply.header("Cache-Control", "no-store");
      if (onUnauthenticated) {
        await onUnauthenticated(request, reply, refusal);
        return reply;
      }
      const answer = unauthenticatedAnswer(refusal);
      return reply
        .code(answer.status)
        .header("WWW-Authenticate", answer.headers["WWW-Authenticate"])
        .send(answer.body);
    });
  };
  return Object.assign(plugin, {
    [Symbol.for("skip-override")]: true,
    [Symbol.for("fastify.display-name")]: "session-ledger-tracking",
  });
}

/**
 * Records a login, as Express's `issueSession` does: the client IP is `request.ip` (which
 * honours `trustProxy`), and the session cookie goes on `reply`. Returns the session and token.
 */
export function issueSession(
  request: FastifyRequest,
  reply: FastifyReply,
  options: IssueSessionOptions,
): Promise<CreatedSession> {
  return issueFlow(
    "issueSession",
    { req: request, headers: request, ip: request.ip },
    answerOf(reply),
    options,
  );
}

/**
 * Logs the request's session out and clears the session cookie on `reply`, as Express's
 * `endSession` does. Returns true when a session was ended.
 */
export function endSession(
  request: FastifyRequest,
  reply: FastifyReply,
  options: EndSessionOptions,
): Promise<boolean> {
  return endFlow(
    "endSession",
    { req: request, headers: request, tracked: request.sessionLedger },
    {
      ...answerOf(reply),
      setCookie: (line) => {
        appendCookie(reply, line);
        request.sessionLedger = undefined;
      },
    },
    options,
  );
}
