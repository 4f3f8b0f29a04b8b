/**
 * Login tracking for the host's own users: a middleware that finds the session behind a
 * request, and helpers that issue a session at login and end it at logout.
 */
import type {
  CreatedSession,
  CreateSessionInput,
  Session,
  SessionLedger,
} from "@session-ledger/core";
import type { CookieOptions, Request, RequestHandler, Response } from "express";
import { cdnLocationOf, clientInfoOf, presentedToken } from "./client.js";

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

/** The cookie name used when none is given. */
export const DEFAULT_COOKIE_NAME = "sl_session";

/** Why `sessionTracking` refused a request that required a session. */
export type UnauthenticatedReason = "missing" | "invalid";

/** Options of {@link sessionTracking}. */
/** The tenant of a one-tenant app: what `sessionTracking` and `issueSession` use by default. */
export const DEFAULT_TENANT = "default";

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

/**
 * Validates the request's session token (cookie or bearer), records activity (the ledger
 * writes at most once per `touchResolutionMs`), and sets `req.sessionLedger`. A cookie whose
 * session is over is cleared. With `required`, a request without an open session gets a 401
 * `{error, message}`; errors of the ledger or of `tenant` go to `next(error)`.
 */
export function sessionTracking(options: SessionTrackingOptions): RequestHandler {
  const tenant = options.tenant ?? DEFAULT_TENANT;
  const cookieName = options.cookieName ?? DEFAULT_COOKIE_NAME;
  const bearer = options.bearer ?? true;
  const refuse = (req: Request, res: Response, reason: UnauthenticatedReason) => {
    if (options.onUnauthenticated) return options.onUnauthenticated(req, res, reason);
    res.setHeader(
      "WWW-Authenticate",
      reason === "missing" ? "Bearer" : 'Bearer error="invalid_token"',
    );
    res.status(401).json(UNAUTHENTICATED[reason]);
  };

  return (req, res, next) => {
    const track = async () => {
      const presented = presentedToken(req, { cookieName, bearer });
      if (presented === null) {
        return options.required ? refuse(req, res, "missing") : next();
      }
      const tenantId = typeof tenant === "function" ? await tenant(req) : tenant;
      const session = await options.ledger.validate(tenantId, presented.token);
      if (session === null) {
        if (presented.source === "cookie") res.clearCookie(cookieName, { path: "/" });
        return options.required ? refuse(req, res, "invalid") : next();
      }
      req.sessionLedger = { session, token: presented.token };
      next();
    };
    track().catch(next);
  };
}

/** How the session cookie is set. */
export interface SessionCookieOptions {
  /** Send only over HTTPS. Browsers accept Secure cookies from http://localhost too. @default true */
  secure?: boolean;
  /** @default "lax" */
  sameSite?: "lax" | "strict" | "none";
  /** @default "/" */
  path?: string;
  domain?: string;
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

function cookieOptions(options: SessionCookieOptions): CookieOptions {
  const secure = options.secure ?? true;
  const sameSite = options.sameSite ?? "lax";
  if (sameSite === "none" && !secure) {
    // Browsers drop SameSite=None cookies that are not Secure.
    throw new TypeError("a SameSite=None session cookie must be Secure");
  }
  const result: CookieOptions = { httpOnly: true, secure, sameSite, path: options.path ?? "/" };
  if (options.domain !== undefined) result.domain = options.domain;
  return result;
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
  const cookie = options.cookie === false ? null : cookieOptions(options.cookie ?? {});
  const userAgent = req.headers["user-agent"] ?? null;
  const cdn = options.trustCdnLocationHeaders ? cdnLocationOf(req) : { city: null, country: null };
  const created = await options.ledger.create({
    tenantId: options.tenantId ?? DEFAULT_TENANT,
    user: options.user,
    sessionIdentifier: options.sessionIdentifier,
    clientType: options.clientType,
    accessType: options.accessType,
    licenseEdition: options.licenseEdition,
    serverIp: options.serverIp,
    attributes: options.attributes,
    clientIp: req.ip ?? null,
    userAgent: userAgent?.slice(0, 1024) ?? null,
    clientInfo: clientInfoOf(userAgent),
    city: options.location?.city ?? cdn.city,
    country: options.location?.country ?? cdn.country,
  });
  if (cookie) {
    const { session, token } = created;
    res.cookie(options.cookieName ?? DEFAULT_COOKIE_NAME, token, {
      ...cookie,
      maxAge: session.absoluteExpiresAt - session.createdAt,
    });
  }
  return created;
}

/** Options of {@link endSession}. */
export interface EndSessionOptions {
  ledger: SessionLedger;
  /** @default "sl_session" */
  cookieName?: string;
  /** The path and domain the cookie was set with, so the browser drops the right one. */
  cookie?: Pick<SessionCookieOptions, "path" | "domain">;
}

/**
 * Logs the request's session out (`LOGGED_OUT`) and clears the session cookie. Needs
 * `sessionTracking` before it to know the session. Returns true when a session was ended;
 * logging out twice, or without a session, is not an error.
 */
export async function endSession(
  req: Request,
  res: Response,
  options: EndSessionOptions,
): Promise<boolean> {
  const clear: CookieOptions = { path: options.cookie?.path ?? "/" };
  if (options.cookie?.domain !== undefined) clear.domain = options.cookie.domain;
  res.clearCookie(options.cookieName ?? DEFAULT_COOKIE_NAME, clear);
  const tracked = req.sessionLedger;
  if (!tracked) return false;
  req.sessionLedger = undefined;
  return options.ledger.logout(tracked.session.tenantId, tracked.session.id);
}
