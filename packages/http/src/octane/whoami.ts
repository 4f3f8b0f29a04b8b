/**
 * `GET /api/session_ledger/whoami`: who the caller is and what it may do, so a page (the
 * console) shows only the controls the caller may use. It names no tenant, so it is a route
 * that resolves none; it answers 401 in Octane's envelope like every other route.
 */
import type { AdminRoute } from "../admin/context.js";
import type { Principal } from "../admin/principal.js";
import { jsonResponse } from "../admin/reply.js";

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

/** The whoami route: any authenticated caller may ask who it is. */
export function whoamiRoute(facts: WhoamiFacts): AdminRoute {
  return {
    method: "GET",
    path: WHOAMI_PATH,
    anyOf: null,
    tenant: false,
    handler(_req, { principal }) {
      const body: OctaneWhoami = {
        id: principal.id,
        tenants: principal.tenants === "*" ? "*" : [...principal.tenants],
        permissions: permissionsOf(principal),
        features: [...facts.features],
        limits: facts.limits,
      };
      return jsonResponse(body);
    },
  };
}
