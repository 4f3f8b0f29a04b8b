/**
 * Login tracking on Express: a middleware that finds the session behind a request, and helpers
 * that issue a session at login and end it at logout. The checks and flows are the shared ones
 * of `flow.ts`; this file reads Express's `req` and writes its `res`.
 */
import type { CreatedSession } from "@session-ledger/core";
import type { Request, RequestHandler, Response } from "express";
import {
  createTracker,
  DEFAULT_TENANT,
  type EndOptions,
  endFlow,
  type IssueOptions,
  issueFlow,
  type TrackedSession,
  type TrackingAnswer,
  type TrackingOptions,
  type TrackOutcome,
  type UnauthenticatedReason,
  unauthenticatedAnswer,
} from "./flow.js";
import { DEFAULT_COOKIE_NAME, type SessionCookieOptions } from "./web.js";

export {
  DEFAULT_COOKIE_NAME,
  DEFAULT_TENANT,
  type SessionCookieOptions,
  type TrackedSession,
  type UnauthenticatedReason,
};

declare global {
  // Express's own extension point for request properties.
  namespace Express {
    interface Request {
      /** Set by `sessionTracking` when the request carries a valid, open session. */
      sessionLedger?: TrackedSession;
    }
  }
}

/** Options of {@link sessionTracking}. */
export interface SessionTrackingOptions extends TrackingOptions<Request> {
  /** Replaces the default 401 JSON answer (e.g. to redirect to a login page). */
  onUnauthenticated?: (req: Request, res: Response, reason: UnauthenticatedReason) => void;
}

/** Options of {@link issueSession}. */
export interface IssueSessionOptions extends IssueOptions {}

/** Options of {@link endSession}. */
export interface EndSessionOptions extends EndOptions<Request> {}

/** Express's response as the flows write it. */
const answerOf = (res: Response): TrackingAnswer => ({
  noStore: () => res.setHeader("Cache-Control", "no-store"),
  setCookie: (line) => res.append("Set-Cookie", line),
});

/**
 * Validates the request's session token (cookie or bearer), records activity (the ledger
 * writes at most once per `touchResolutionMs`), and sets `req.sessionLedger`. A cookie whose
 * session is over is cleared. With `required`, a request without an open session gets a 401
 * `{error, message}`; errors of the ledger or of `tenant` go to `next(error)`.
 */
export function sessionTracking(options: SessionTrackingOptions): RequestHandler {
  const tracker = createTracker<Request>("sessionTracking", options, "(req, res, reason) => void");
  const { onUnauthenticated } = options;
  const answer = (
    req: Request,
    res: Response,
    next: (error?: unknown) => void,
    outcome: TrackOutcome,
  ) => {
    const { tracked, clearCookie, refusal } = outcome;
    if (clearCookie !== null) {
      res.setHeader("Cache-Control", "no-store");
      res.append("Set-Cookie", clearCookie);
    }
    if (tracked !== null) req.sessionLedger = tracked;
    if (refusal === null) return next();
    res.setHeader("Cache-Control", "no-store");
    if (onUnauthenticated) return onUnauthenticated(req, res, refusal);
    const refused = unauthenticatedAnswer(refusal);
    res.setHeader("WWW-Authenticate", refused.headers["WWW-Authenticate"]);
    res.status(refused.status).json(refused.body);
  };
  return (req, res, next) => {
    tracker
      .track(req, req)
      .then((outcome) => answer(req, res, next, outcome))
      .catch(next);
  };
}

/**
 * Records a login: creates a session with the client's IP (`req.ip`, which honours the app's
 * `trust proxy` setting), its user agent parsed into browser, OS and device, and a location
 * when one is known, then sets the session cookie (HttpOnly, Secure, SameSite=Lax by default)
 * with a Max-Age of the session's absolute lifetime. Returns the session and its token.
 */
export function issueSession(
  req: Request,
  res: Response,
  options: IssueSessionOptions,
): Promise<CreatedSession> {
  return issueFlow("issueSession", { req, headers: req, ip: req.ip }, answerOf(res), options);
}

/**
 * Logs the request's session out (`LOGGED_OUT`) and clears the session cookie. The session is
 * the one `sessionTracking` found, or else the one of the request's token (cookie or bearer),
 * validated in `tenant`, so a logout route without tracking still ends it. Returns true when a
 * session was ended; logging out twice, or without a session, is not an error.
 */
export function endSession(
  req: Request,
  res: Response,
  options: EndSessionOptions,
): Promise<boolean> {
  return endFlow(
    "endSession",
    { req, headers: req, tracked: req.sessionLedger },
    {
      ...answerOf(res),
      // Cleared with the cookie, before the ledger is written: the request is signed out.
      setCookie: (line) => {
        res.append("Set-Cookie", line);
        req.sessionLedger = undefined;
      },
    },
    options,
  );
}
