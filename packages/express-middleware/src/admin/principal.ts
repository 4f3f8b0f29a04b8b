/**
 * Who is calling the admin routes and what they may do (SPEC §7). The host decides how a
 * request becomes a principal; the routers only ask the two questions below.
 */
import type { Session } from "@session-ledger/core";
import type { Request } from "express";
import { AdminError } from "./errors.js";
import { quote } from "./text.js";

/** The permissions the admin routers check. Hosts may grant names of their own as well. */
export type Permission =
  | "sessions:read"
  | "sessions:terminate"
  | "sessions:export"
  | "sessions:settings"
  /** SAYMON's session log (its router's default; `permission` changes it). */
  | "read-session-log";

/** An authenticated caller of the admin routes. */
export interface Principal {
  /** Who the caller is (an administrator's user id, an API key's name), for logs. */
  id: string;
  /** The tenants (Octane spaces, Cognite orgs…) the caller may act in; `"*"` for every one. */
  tenants: readonly string[] | "*";
  /** What the caller may do: the {@link Permission}s, or host-defined names. */
  permissions: ReadonlySet<string> | readonly string[];
  /** The caller's own user id, for dialects that act on "my sessions". */
  userId?: string | null;
  /** The caller's own session id, when it has one, so it can be told apart or kept. */
  sessionId?: string | null;
}

/**
 * Turns a request into a principal, or null when it carries no acceptable credentials.
 * May be async (a database lookup); a throw is a server error, not a 401.
 */
export type Authenticate = (req: Request) => Principal | null | Promise<Principal | null>;

/**
 * The principal of a user signed in through `sessionTracking` (`req.sessionLedger?.session`):
 * its own session's tenant, no permissions, and its user and session ids, so LogScale's
 * `level: User` lists its sessions and `logoutOfSession` ends the one it uses. Null without a
 * session. An `authenticate` that also accepts API keys tries those first.
 */
export function signedInPrincipal(session: Session | null | undefined): Principal | null {
  return session
    ? {
        id: `user:${session.user.id}`,
        tenants: [session.tenantId],
        permissions: [],
        userId: session.user.id,
        sessionId: session.id,
      }
    : null;
}

/** True when the principal holds the permission. */
export function hasPermission(principal: Principal, permission: Permission | string): boolean {
  const { permissions } = principal;
  return "has" in permissions ? permissions.has(permission) : permissions.includes(permission);
}

/** True when the principal may act in the tenant. */
export function canAccessTenant(principal: Principal, tenantId: string): boolean {
  return principal.tenants === "*" || principal.tenants.includes(tenantId);
}

/**
 * Throws a 403 unless the principal holds at least one of the permissions.
 * @throws AdminError `FORBIDDEN`
 */
export function requirePermission(
  principal: Principal,
  ...anyOf: readonly [Permission | string, ...(Permission | string)[]]
): void {
  if (anyOf.some((permission) => hasPermission(principal, permission))) return;
  const names = anyOf.map((p) => `'${p}'`).join(" or ");
  throw new AdminError("FORBIDDEN", `this operation needs the ${names} permission`);
}

/**
 * Throws a 403 unless the principal may act in the tenant. The answer depends only on the
 * principal, never on whether the tenant has data, so it reveals nothing about other tenants.
 * @throws AdminError `FORBIDDEN`
 */
export function requireTenantAccess(principal: Principal, tenantId: string, noun = "tenant"): void {
  if (canAccessTenant(principal, tenantId)) return;
  throw new AdminError("FORBIDDEN", `no access to ${noun} ${quote(tenantId)}`);
}
