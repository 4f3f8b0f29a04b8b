/**
 * Login tracking for the host's own users: a middleware that finds the session behind a
 * request, and helpers that issue a session at login and end it at logout.
 */

import { isIP } from "node:net";
import type {
  CreatedSession,
  CreateSessionInput,
  Session,
  SessionLedger,
} from "@session-ledger/core";
import { checkOptions, kindOf } from "@session-ledger/core/store";
import type { Request, RequestHandler, Response } from "express";
import {
  clearedCookie,
  clientFactsOf,
  cookieAttributes,
  DEFAULT_COOKIE_NAME,
  presentedToken,
  type SessionCookieOptions,
  sessionCookie,
} from "./web.js";

export { DEFAULT_COOKIE_NAME, type SessionCookieOptions };

/** The session a request belongs to, as `sessionTracking` found it. */
export interface TrackedSession {
  session: Session;
  token: string;
}

declare global {
  // Express's own extension point for request properties.
  namespace Express {
    interface Request {
      /** Set by `sessionTracking` when the request carries a valid, open session. */
      sessionLedger?: TrackedSession;
    }
  }
}

/** Why `sessionTracking` refused a request that required a session. */
export type UnauthenticatedReason = "missing" | "invalid";

/** The tenant of a one-tenant app: what `sessionTracking` and `issueSession` use by default. */
export const DEFAULT_TENANT = "default";

/** Options of {@link sessionTracking}. */
export interface SessionTrackingOptions {
  ledger: SessionLedger;
  /**
   * The tenant the request's session belongs to: a fixed id for a one-tenant app, or a function
   * of the request for several. It must match the `tenantId` the session was issued for.
   * @default DEFAULT_TENANT ("default"), the tenant `issueSession` uses by default too
   */
  tenant?: string | ((req: Request) => string | Promise<string>);
  /** @default "sl_session" */
  cookieName?: string;
  /** Answer 401 when there is no open session; otherwise carry on without one. @default false */
  required?: boolean;
  /** Also accept `Authorization: Bearer <token>`. @default true */
  bearer?: boolean;
  /** Replaces the default 401 JSON answer (e.g. to redirect to a login page). */
  onUnauthenticated?: (req: Request, res: Response, reason: UnauthenticatedReason) => void;
}

const UNAUTHENTICATED: Record<UnauthenticatedReason, { error: string; message: string }> = {
  missing: {
    error: "SESSION_REQUIRED",
    message: "sign in first: the request has no session cookie or Authorization: Bearer token",
  },
  invalid: {
    error: "SESSION_INVALID",
    message: "the session token is not valid, or its session has ended or expired; sign in again",
  },
};

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

/** Answers are about one user's session: no cache, shared or private, may keep them. */
const noStore = (res: Response) => res.setHeader("Cache-Control", "no-store");

/** How a request's tenant is found: a fixed id, or a function of the request. */
type TenantOption = NonNullable<SessionTrackingOptions["tenant"]>;

const resolveTenant = async (tenant: TenantOption, req: Request) =>
  typeof tenant === "function" ? tenant(req) : tenant;

/**
 * The tenants each ledger's `sessionTracking` reads sessions from, so `issueSession` can refuse
 * to issue a session that tracking would never find: "any" once a tracking takes its tenant
 * from a function (checked per request instead, through {@link TRACKED_BY}).
 */
const TRACKED_TENANTS = new WeakMap<SessionLedger, Set<string> | "any">();

/** Set on a request by the `sessionTracking` it passed through: its ledger and tenant. */
const TRACKED_BY = Symbol("sessionLedger.tracking");

interface TrackingMark {
  ledger: SessionLedger;
  tenant: TenantOption;
}

type MarkedRequest = Request & { [TRACKED_BY]?: TrackingMark };

function registerTracking(ledger: SessionLedger, tenant: TenantOption): void {
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
async function requireTrackedTenant(req: Request, ledger: SessionLedger, tenantId: string) {
  const mismatch = (tracked: string) =>
    new TypeError(
      `issueSession: the session would be issued in tenant ${JSON.stringify(tenantId)}, but sessionTracking reads sessions of ${tracked}, so the user would be signed out at the next request; give issueSession's tenantId and sessionTracking's tenant the same value`,
    );
  const mark = (req as MarkedRequest)[TRACKED_BY];
  if (mark?.ledger === ledger) {
    const tracked = await resolveTenant(mark.tenant, req);
    if (tracked !== tenantId) throw mismatch(`tenant ${JSON.stringify(tracked)} for this request`);
    return;
  }
  const known = TRACKED_TENANTS.get(ledger);
  if (known !== undefined && known !== "any" && !known.has(tenantId)) {
    throw mismatch([...known].map((tenant) => JSON.stringify(tenant)).join(" or "));
  }
}

/**
 * Validates the request's session token (cookie or bearer), records activity (the ledger
 * writes at most once per `touchResolutionMs`), and sets `req.sessionLedger`. A cookie whose
 * session is over is cleared. With `required`, a request without an open session gets a 401
 * `{error, message}`; errors of the ledger or of `tenant` go to `next(error)`.
 */
export function sessionTracking(options: SessionTrackingOptions): RequestHandler {
  const factory = "sessionTracking";
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
  const tenant = tenantOption(factory, options.tenant);
  const cookieName = cookieNameOf(factory, options.cookieName);
  const bearer = options.bearer ?? true;
  for (const name of ["required", "bearer"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "boolean") {
      throw new TypeError(
        `${factory}: '${name}' must be true or false, got ${kindOf(options[name])}`,
      );
    }
  }
  if (options.onUnauthenticated !== undefined && typeof options.onUnauthenticated !== "function") {
    throw new TypeError(
      `${factory}: 'onUnauthenticated' must be a function (req, res, reason) => void`,
    );
  }
  registerTracking(ledger, tenant);
  const mark: TrackingMark = { ledger, tenant };
  const refuse = (req: Request, res: Response, reason: UnauthenticatedReason) => {
    noStore(res);
    if (options.onUnauthenticated) return options.onUnauthenticated(req, res, reason);
    res.setHeader(
      "WWW-Authenticate",
      reason === "missing" ? "Bearer" : 'Bearer error="invalid_token"',
    );
    res.status(401).json(UNAUTHENTICATED[reason]);
  };

  return (req, res, next) => {
    Object.defineProperty(req, TRACKED_BY, { value: mark, configurable: true });
    const track = async () => {
      const presented = presentedToken(req, { cookieName, bearer });
      if (presented === null) {
        return options.required ? refuse(req, res, "missing") : next();
      }
      const tenantId = await resolveTenant(tenant, req);
      const session = await ledger.validate(tenantId, presented.token);
      if (session === null) {
        if (presented.source === "cookie") {
          noStore(res);
          res.append("Set-Cookie", clearedCookie(cookieName));
        }
        return options.required ? refuse(req, res, "invalid") : next();
      }
      req.sessionLedger = { session, token: presented.token };
      next();
    };
    track().catch(next);
  };
}

/** Options of {@link issueSession}. */
export interface IssueSessionOptions
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

/**
 * Records a login: creates a session with the client's IP (`req.ip`, which honours the app's
 * `trust proxy` setting), its user agent parsed into browser, OS and device, and a location
 * when one is known, then sets the session cookie (HttpOnly, Secure, SameSite=Lax by default)
 * with a Max-Age of the session's absolute lifetime. Returns the session and its token.
 */
export async function issueSession(
  req: Request,
  res: Response,
  options: IssueSessionOptions,
): Promise<CreatedSession> {
  const factory = "issueSession";
  checkOptions(factory, options, [
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
  ]);
  requireLedger(factory, options.ledger);
  const cookieName = cookieNameOf(factory, options.cookieName);
  const cookie = options.cookie === false ? null : cookieAttributes(options.cookie ?? {});
  const tenantId = options.tenantId ?? DEFAULT_TENANT;
  await requireTrackedTenant(req, options.ledger, tenantId);
  // Not an address (a forged X-Forwarded-For behind a `trust proxy` that trusts too much):
  // no client IP, rather than a failed login.
  const ip = req.ip !== undefined && isIP(req.ip) !== 0 ? req.ip : null;
  const client = clientFactsOf(req, {
    ip,
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
  noStore(res);
  if (cookie) {
    const { session, token } = created;
    res.append(
      "Set-Cookie",
      sessionCookie(cookieName, token, cookie, {
        now: session.createdAt,
        expiresAt: session.absoluteExpiresAt,
      }),
    );
  }
  return created;
}

/** Options of {@link endSession}. */
export interface EndSessionOptions {
  ledger: SessionLedger;
  /**
   * The tenant of the session, as `sessionTracking` is given it; read only when the request did
   * not pass through `sessionTracking`. @default DEFAULT_TENANT
   */
  tenant?: SessionTrackingOptions["tenant"];
  /** @default "sl_session" */
  cookieName?: string;
  /** Also end the session of an `Authorization: Bearer` token. @default true */
  bearer?: boolean;
  /** The path and domain the cookie was set with, so the browser drops the right one. */
  cookie?: Pick<SessionCookieOptions, "path" | "domain">;
}

/**
 * Logs the request's session out (`LOGGED_OUT`) and clears the session cookie. The session is
 * the one `sessionTracking` found, or else the one of the request's token (cookie or bearer),
 * validated in `tenant`, so a logout route without tracking still ends it. Returns true when a
 * session was ended; logging out twice, or without a session, is not an error.
 */
export async function endSession(
  req: Request,
  res: Response,
  options: EndSessionOptions,
): Promise<boolean> {
  const factory = "endSession";
  checkOptions(factory, options, ["ledger", "tenant", "cookieName", "bearer", "cookie"]);
  requireLedger(factory, options.ledger);
  const cookieName = cookieNameOf(factory, options.cookieName);
  const tenant = tenantOption(factory, options.tenant);
  let session = req.sessionLedger?.session ?? null;
  // A request tracking has seen already holds its answer: no session, or the one it found.
  if (session === null && (req as MarkedRequest)[TRACKED_BY]?.ledger !== options.ledger) {
    const presented = presentedToken(req, { cookieName, bearer: options.bearer ?? true });
    if (presented !== null) {
      session = await options.ledger.validate(await resolveTenant(tenant, req), presented.token);
    }
  }
  noStore(res);
  res.append("Set-Cookie", clearedCookie(cookieName, options.cookie));
  req.sessionLedger = undefined;
  if (session === null) return false;
  return options.ledger.logout(session.tenantId, session.id);
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
function tenantOption(factory: string, tenant: unknown): TenantOption {
  if (tenant === undefined) return DEFAULT_TENANT;
  if (typeof tenant === "function" || (typeof tenant === "string" && tenant.length > 0)) {
    return tenant as TenantOption;
  }
  throw new TypeError(
    `${factory}: 'tenant' must be a tenant id or a function (req) => tenant id, got ${kindOf(tenant)}`,
  );
}
