/**
 * Login tracking without a framework: the option checks, the per-request check (validate and
 * touch, the 401 decision), and the login and logout flows, over a request's headers in and
 * `Set-Cookie` lines out. Each adapter's `sessionTracking`, `issueSession` and `endSession` is
 * this plus its framework's own way of reading the request and writing the answer, so the
 * host's per-request check never builds a Web `Request`.
 */
import { isIP } from "node:net";
import type {
  CreatedSession,
  CreateSessionInput,
  Session,
  SessionLedger,
} from "@session-ledger/core";
import { checkOptions, kindOf } from "@session-ledger/core/store";
import type { HeaderSource } from "../admin/headers.js";
import {
  clearedCookie,
  clientFactsOf,
  cookieAttributes,
  DEFAULT_COOKIE_NAME,
  presentedToken,
  type SessionCookieOptions,
  sessionCookie,
} from "./web.js";

/** The session a request belongs to, as `sessionTracking` found it. */
export interface TrackedSession {
  session: Session;
  token: string;
}

/** Why `sessionTracking` refused a request that required a session. */
export type UnauthenticatedReason = "missing" | "invalid";

/** The tenant of a one-tenant app: what `sessionTracking` and `issueSession` use by default. */
export const DEFAULT_TENANT = "default";

/** How a request's tenant is found: a fixed id, or a function of the framework's request. */
export type TenantOption<Req> = string | ((req: Req) => string | Promise<string>);

/** The options of every framework's `sessionTracking`, `Req` being its request (or context). */
export interface TrackingOptions<Req> {
  ledger: SessionLedger;
  /**
   * The tenant the request's session belongs to: a fixed id for a one-tenant app, or a function
   * of the request for several. It must match the `tenantId` the session was issued for.
   * @default DEFAULT_TENANT ("default"), the tenant `issueSession` uses by default too
   */
  tenant?: TenantOption<Req>;
  /** @default "sl_session" */
  cookieName?: string;
  /** Answer 401 when there is no open session; otherwise carry on without one. @default false */
  required?: boolean;
  /** Also accept `Authorization: Bearer <token>`. @default true */
  bearer?: boolean;
}

/** The options of every framework's `issueSession`. */
export interface IssueOptions
  extends Pick<
    CreateSessionInput,
    "sessionIdentifier" | "clientType" | "accessType" | "licenseEdition" | "serverIp" | "attributes"
  > {
  ledger: SessionLedger;
  /** @default DEFAULT_TENANT, as `sessionTracking` assumes when it is given no tenant */
  tenantId?: string;
  user: CreateSessionInput["user"];
  /** @default "sl_session" */
  cookieName?: string;
  /** Cookie settings, or false to set no cookie (an API client keeps the returned token). */
  cookie?: SessionCookieOptions | false;
  /** City and country from the host's own lookup; win over CDN headers. */
  location?: { city?: string | null; country?: string | null };
  /**
   * Read `cf-ipcity` / `cf-ipcountry`. Only behind a CDN that sets them: clients can forge
   * them otherwise. @default false
   */
  trustCdnLocationHeaders?: boolean;
}

/** The options of every framework's `endSession`. */
export interface EndOptions<Req> {
  ledger: SessionLedger;
  /**
   * The tenant of the session, as `sessionTracking` is given it; read only when the request did
   * not pass through `sessionTracking`. @default DEFAULT_TENANT
   */
  tenant?: TenantOption<Req>;
  /** @default "sl_session" */
  cookieName?: string;
  /** Also end the session of an `Authorization: Bearer` token. @default true */
  bearer?: boolean;
  /** The path and domain the cookie was set with, so the browser drops the right one. */
  cookie?: Pick<SessionCookieOptions, "path" | "domain">;
}

/** Where a flow writes its answer's headers: each framework's own response. */
export interface TrackingAnswer {
  /** `Cache-Control: no-store`: the answer is about one user's session. */
  noStore(): void;
  /** Appends one `Set-Cookie` line, keeping those already set. */
  setCookie(line: string): void;
}

/** What the per-request check found. */
export interface TrackOutcome {
  /** The open session the request presents, or null. */
  tracked: TrackedSession | null;
  /** The line that clears a cookie whose session is over (send it with no-store), or null. */
  clearCookie: string | null;
  /** With `required`, why the request is refused (a 401); null when it may go on. */
  refusal: UnauthenticatedReason | null;
}

/** The 401 every framework sends unless the host answers instead. */
export interface UnauthenticatedAnswer {
  status: 401;
  headers: { "Cache-Control": "no-store"; "WWW-Authenticate": string };
  body: { error: string; message: string };
}

const UNAUTHENTICATED: Record<UnauthenticatedReason, UnauthenticatedAnswer> = {
  missing: {
    status: 401,
    headers: { "Cache-Control": "no-store", "WWW-Authenticate": "Bearer" },
    body: {
      error: "SESSION_REQUIRED",
      message: "sign in first: the request has no session cookie or Authorization: Bearer token",
    },
  },
  invalid: {
    status: 401,
    headers: { "Cache-Control": "no-store", "WWW-Authenticate": 'Bearer error="invalid_token"' },
    body: {
      error: "SESSION_INVALID",
      message: "the session token is not valid, or its session has ended or expired; sign in again",
    },
  },
};

/** The default 401 of a refusal: status, headers and JSON body, the same on every framework. */
export const unauthenticatedAnswer = (reason: UnauthenticatedReason): UnauthenticatedAnswer =>
  UNAUTHENTICATED[reason];

/** The per-request check of one `sessionTracking`, its options checked once. */
export interface Tracker<Req extends object> {
  readonly cookieName: string;
  /**
   * Validates the request's token (cookie or bearer), which records activity (the ledger
   * writes at most once per `touchResolutionMs`), and marks `req` as seen by this tracking so
   * `issueSession` and `endSession` on the same request know its tenant.
   */
  track(req: Req, headers: HeaderSource): Promise<TrackOutcome>;
}

/**
 * Checks a `sessionTracking`'s options where they are given, and returns its per-request check.
 * `onUnauthenticated` names the signature of the framework's callback, when it takes one.
 * @throws TypeError naming the factory
 */
export function createTracker<Req extends object>(
  factory: string,
  options: TrackingOptions<Req> & { onUnauthenticated?: unknown },
  onUnauthenticated: string,
): Tracker<Req> {
  checkOptions(factory, options, [
    "ledger",
    "tenant",
    "cookieName",
    "required",
    "bearer",
    "onUnauthenticated",
  ]);
  const { ledger } = options;
  requireLedger(factory, ledger);
  const tenant = tenantOption<Req>(factory, options.tenant);
  const cookieName = cookieNameOf(factory, options.cookieName);
  for (const name of ["required", "bearer"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "boolean") {
      throw new TypeError(
        `${factory}: '${name}' must be true or false, got ${kindOf(options[name])}`,
      );
    }
  }
  if (options.onUnauthenticated !== undefined && typeof options.onUnauthenticated !== "function") {
    throw new TypeError(`${factory}: 'onUnauthenticated' must be a function ${onUnauthenticated}`);
  }
  const required = options.required ?? false;
  const read = { cookieName, bearer: options.bearer ?? true };
  registerTracking(ledger, tenant);
  const mark: TrackingMark = { ledger, tenant };
  return {
    cookieName,
    async track(req, headers) {
      // A plain store, not defineProperty: the same shape transition on every request, which
      // V8's inline caches make nearly free (defineProperty is a runtime call each time).
      (req as { [TRACKED_BY]?: TrackingMark })[TRACKED_BY] = mark;
      const presented = presentedToken(headers, read);
      if (presented === null) {
        return { tracked: null, clearCookie: null, refusal: required ? "missing" : null };
      }
      const tenantId = typeof tenant === "function" ? await tenant(req) : tenant;
      const session = await ledger.validate(tenantId, presented.token);
      if (session !== null) {
        return { tracked: { session, token: presented.token }, clearCookie: null, refusal: null };
      }
      return {
        tracked: null,
        clearCookie: presented.source === "cookie" ? clearedCookie(cookieName) : null,
        refusal: required ? "invalid" : null,
      };
    },
  };
}

/**
 * Records a login: creates a session with the client's IP as the framework resolved it
 * (`ip`; one that is not an address is recorded as none), its user agent parsed into browser,
 * OS and device, and a location when one is known, then sets the session cookie (HttpOnly,
 * Secure, SameSite=Lax by default) with a Max-Age of the session's absolute lifetime.
 * @throws TypeError for options that are wrong, or a tenant tracking would never read
 */
export async function issueFlow<Req extends object>(
  factory: string,
  exchange: { req: Req; headers: HeaderSource; ip?: string | null | undefined },
  answer: TrackingAnswer,
  options: IssueOptions & { clientIp?: string | null },
  extra: readonly "clientIp"[] = [],
): Promise<CreatedSession> {
  checkOptions<IssueOptions & { clientIp?: string | null }>(factory, options, [
    "ledger",
    "tenantId",
    "user",
    "cookieName",
    "cookie",
    "location",
    "trustCdnLocationHeaders",
    "sessionIdentifier",
    "clientType",
    "accessType",
    "licenseEdition",
    "serverIp",
    "attributes",
    ...extra,
  ]);
  requireLedger(factory, options.ledger);
  const cookieName = cookieNameOf(factory, options.cookieName);
  const cookie = options.cookie === false ? null : cookieAttributes(options.cookie ?? {});
  const tenantId = options.tenantId ?? DEFAULT_TENANT;
  await requireTrackedTenant(exchange.req, options.ledger, tenantId);
  // The framework's own address, or else (Hono, Next.js) the one the host passed.
  const ip = "ip" in exchange ? exchange.ip : options.clientIp;
  // Not an address (a forged X-Forwarded-For behind a proxy setting that trusts too much):
  // no client IP, rather than a failed login.
  const client = clientFactsOf(exchange.headers, {
    ip: typeof ip === "string" && isIP(ip) !== 0 ? ip : null,
    trustCdnLocationHeaders: options.trustCdnLocationHeaders,
    location: options.location,
  });
  const created = await options.ledger.create({
    tenantId,
    user: options.user,
    sessionIdentifier: options.sessionIdentifier,
    clientType: options.clientType,
    accessType: options.accessType,
    licenseEdition: options.licenseEdition,
    serverIp: options.serverIp,
    attributes: options.attributes,
    ...client,
  });
  answer.noStore();
  if (cookie) {
    const { session, token } = created;
    answer.setCookie(
      sessionCookie(cookieName, token, cookie, {
        now: session.createdAt,
        expiresAt: session.absoluteExpiresAt,
      }),
    );
  }
  return created;
}

/**
 * Logs the request's session out (`LOGGED_OUT`) and clears the session cookie. The session is
 * `tracked` (what `sessionTracking` found), or else the one of the request's token, validated
 * in `tenant`, unless this ledger's tracking saw the request already (its answer stands).
 * Returns true when a session was ended.
 * @throws TypeError for options that are wrong
 */
export async function endFlow<Req extends object>(
  factory: string,
  exchange: { req: Req; headers: HeaderSource; tracked: TrackedSession | null | undefined },
  answer: TrackingAnswer,
  options: EndOptions<Req>,
): Promise<boolean> {
  checkOptions(factory, options, ["ledger", "tenant", "cookieName", "bearer", "cookie"]);
  requireLedger(factory, options.ledger);
  const cookieName = cookieNameOf(factory, options.cookieName);
  const tenant = tenantOption<Req>(factory, options.tenant);
  const { req } = exchange;
  let session = exchange.tracked?.session ?? null;
  // A request tracking has seen already holds its answer: no session, or the one it found.
  if (session === null && markOf(req)?.ledger !== options.ledger) {
    const presented = presentedToken(exchange.headers, {
      cookieName,
      bearer: options.bearer ?? true,
    });
    if (presented !== null) {
      const tenantId = typeof tenant === "function" ? await tenant(req) : tenant;
      session = await options.ledger.validate(tenantId, presented.token);
    }
  }
  answer.noStore();
  answer.setCookie(clearedCookie(cookieName, options.cookie));
  if (session === null) return false;
  return options.ledger.logout(session.tenantId, session.id);
}

/** A cookie name as RFC 6265 allows it: an HTTP token (no spaces, separators or controls). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The cookie name of an option, checked where it is given: a name with a space, `;`, `=` or a
 * non-ASCII character would otherwise fail at the first login with a 500.
 * @throws TypeError naming the factory
 */
function cookieNameOf(factory: string, name: unknown): string {
  if (name === undefined) return DEFAULT_COOKIE_NAME;
  if (typeof name !== "string" || !COOKIE_NAME.test(name)) {
    throw new TypeError(
      `${factory}: 'cookieName' must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~, as RFC 6265 allows), got ${typeof name === "string" ? JSON.stringify(name) : kindOf(name)}`,
    );
  }
  return name;
}

/**
 * The tenants each ledger's `sessionTracking` reads sessions from, so `issueSession` can refuse
 * to issue a session that tracking would never find: "any" once a tracking takes its tenant
 * from a function (checked per request instead, through {@link TRACKED_BY}).
 */
const TRACKED_TENANTS = new WeakMap<SessionLedger, Set<string> | "any">();

/** Set on a framework's request by the `sessionTracking` it passed through. */
const TRACKED_BY = Symbol("sessionLedger.tracking");

interface TrackingMark {
  ledger: SessionLedger;
  // biome-ignore lint/suspicious/noExplicitAny: a mark is read back on the request it was set on.
  tenant: TenantOption<any>;
}

const markOf = (req: object): TrackingMark | undefined =>
  (req as { [TRACKED_BY]?: TrackingMark })[TRACKED_BY];

function registerTracking(ledger: SessionLedger, tenant: TenantOption<never>): void {
  const known = TRACKED_TENANTS.get(ledger);
  if (typeof tenant === "function") TRACKED_TENANTS.set(ledger, "any");
  else if (known === undefined) TRACKED_TENANTS.set(ledger, new Set([tenant]));
  else if (known !== "any") known.add(tenant);
}

/**
 * Refuses, before anything is written, to issue a session in a tenant the app's tracking does
 * not read: the user would be signed out at the next request, with no error anywhere.
 * @throws TypeError naming both tenants
 */
async function requireTrackedTenant(req: object, ledger: SessionLedger, tenantId: string) {
  const mismatch = (tracked: string) =>
    new TypeError(
      `issueSession: the session would be issued in tenant ${JSON.stringify(tenantId)}, but sessionTracking reads sessions of ${tracked}, so the user would be signed out at the next request; give issueSession's tenantId and sessionTracking's tenant the same value`,
    );
  const mark = markOf(req);
  if (mark?.ledger === ledger) {
    const tracked = typeof mark.tenant === "function" ? await mark.tenant(req) : mark.tenant;
    if (tracked !== tenantId) throw mismatch(`tenant ${JSON.stringify(tracked)} for this request`);
    return;
  }
  const known = TRACKED_TENANTS.get(ledger);
  if (known !== undefined && known !== "any" && !known.has(tenantId)) {
    throw mismatch([...known].map((tenant) => JSON.stringify(tenant)).join(" or "));
  }
}

/**
 * A `ledger` option: an object with the methods tracking calls.
 * @throws TypeError naming the factory
 */
function requireLedger(factory: string, ledger: unknown): asserts ledger is SessionLedger {
  const methods = ["create", "validate", "logout"] as const;
  if (
    typeof ledger !== "object" ||
    ledger === null ||
    methods.some((name) => typeof (ledger as Record<string, unknown>)[name] !== "function")
  ) {
    throw new TypeError(
      `${factory}: 'ledger' must be a ledger from createSessionLedger({ store }), got ${kindOf(ledger)}`,
    );
  }
}

/**
 * A `tenant` option: a non-empty id or a function of the request.
 * @throws TypeError naming the factory
 */
function tenantOption<Req>(factory: string, tenant: unknown): TenantOption<Req> {
  if (tenant === undefined) return DEFAULT_TENANT;
  if (typeof tenant === "function" || (typeof tenant === "string" && tenant.length > 0)) {
    return tenant as TenantOption<Req>;
  }
  throw new TypeError(
    `${factory}: 'tenant' must be a tenant id or a function (req) => tenant id, got ${kindOf(tenant)}`,
  );
}
