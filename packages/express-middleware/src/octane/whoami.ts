/**
 * `GET /api/session_ledger/whoami`: who the caller is and what it may do, so a page (the
 * console) shows only the controls the caller may use. It names no tenant, so it has a handler
 * of its own rather than a route of the router's pipeline, which resolves one; it answers 401
 * in Octane's envelope like every other route.
 */
import type { Request, RequestHandler, Response } from "express";
import { correlationIdFor } from "../admin/correlation.js";
import { AdminError, describeError } from "../admin/errors.js";
import type { Authenticate, Principal } from "../admin/principal.js";
import { octaneErrorBody } from "./errors.js";

export const WHOAMI_PATH = "/api/session_ledger/whoami";

/** The body of a whoami answer. */
export interface OctaneWhoami {
  id: string;
  /** The tenants the caller may act in, or `"*"` for any. */
  tenants: readonly string[] | "*";
  /** The caller's permissions, sorted. */
  permissions: string[];
  /** What this server supports beyond the seed API, for clients that adapt to it. */
  features: string[];
  /** The bounds a client should keep to. */
  limits: { max_page_size: number; max_terminate_ids: number; creation_range_days: number | null };
}

/** What the whoami handler reports besides the principal. */
export interface WhoamiFacts {
  features: readonly string[];
  limits: OctaneWhoami["limits"];
}

const permissionsOf = (principal: Principal): string[] =>
  [...principal.permissions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** The whoami handler over the router's `authenticate`. */
export function whoamiHandler(
  authenticate: Authenticate,
  facts: WhoamiFacts,
  log: (req: Request, res: Response, error: unknown) => void,
): RequestHandler {
  const answer = async (req: Request) => {
    const principal = await authenticate(req);
    if (!principal) {
      throw new AdminError(
        "UNAUTHENTICATED",
        "authentication required: send an API key (X-API-KEY or Authorization: Bearer)",
      );
    }
    const body: OctaneWhoami = {
      id: principal.id,
      tenants: principal.tenants === "*" ? "*" : [...principal.tenants],
      permissions: permissionsOf(principal),
      features: [...facts.features],
      limits: facts.limits,
    };
    return body;
  };
  return (req, res) => {
    const correlationId = correlationIdFor(req, res);
    // Who may do what differs per credential: no shared cache may keep it.
    res.setHeader("Cache-Control", "no-store");
    answer(req).then(
      (body) => res.json(body),
      (error: unknown) => {
        const described = describeError(error);
        if (!described.expose) log(req, res, error);
        if (described.status === 401) {
          res.setHeader("WWW-Authenticate", 'Bearer realm="session-ledger"');
        }
        res.status(described.status).json(octaneErrorBody(described, correlationId));
      },
    );
  };
}
