/**
 * Who is calling the admin routes and what they may do (SPEC §7). The host decides how a
 * request becomes a principal; the routers only ask the two questions below.
 */
import type { Session } from "@session-ledger/core";
import { kindOf } from "@session-ledger/core/store";
import { AdminError } from "./errors.js";
import type { AdminRequest } from "./request.js";
import { quote } from "./text.js";

/**
 * The permissions the admin routers check, and the only names a principal may hold: a typo
 * (`"sessions:terminte"`) is a type error, and a run-time error when it arrives untyped (a JSON
 * config, a token's claim), so it never silently grants less, or more, than meant.
 */
export const PERMISSIONS = [
  "sessions:read",
  "sessions:terminate",
  "sessions:export",
  "sessions:settings",
  /** SAYMON's session log (its router's default; `permission` changes it). */
  "read-session-log",
] as const;

/** One of {@link PERMISSIONS}. */
export type Permission = (typeof PERMISSIONS)[number];

const KNOWN_PERMISSIONS: ReadonlySet<string> = new Set(PERMISSIONS);

/** An authenticated caller of the admin routes. */
export interface Principal {
  /** Who the caller is (an administrator's user id, an API key's name), for logs. */
  id: string;
  /** The tenants (Octane spaces, Cognite orgs…) the caller may act in; `"*"` for every one. */
  tenants: readonly string[] | "*";
  /** What the caller may do: {@link Permission}s, as a list or a set. */
  permissions: ReadonlySet<Permission> | readonly Permission[];
  /** The caller's own user id, for dialects that act on "my sessions". */
  userId?: string | null;
  /** The caller's own session id, when it has one, so it can be told apart or kept. */
  sessionId?: string | null;
}

/**
 * Turns a request into a principal, or null when it carries no acceptable credentials.
 * May be async (a database lookup); a throw is a server error, not a 401. What it returns is
 * checked by {@link checkPrincipal}: a malformed principal is a 500 naming the mistake.
 */
export type Authenticate = (req: AdminRequest) => Principal | null | Promise<Principal | null>;

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

const isStringList = (value: unknown): value is readonly string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/**
 * The principal a host's code produced, checked: `id` a non-empty string, `tenants` a list of
 * non-empty strings or `"*"`, `permissions` a list or `Set` of {@link Permission}s, `userId` and
 * `sessionId` strings or null when present. A tenant given as a string (`"1001"`, a token's
 * claim) is refused rather than matched by substring. The message names the mistake and the
 * field, never the values, since it can reach a client.
 * @param source what the principal is, for the message (`the principal authenticate returned`)
 * @throws AdminError `MISCONFIGURED` (a 500 in every dialect)
 */
export function checkPrincipal(value: unknown, source: string): Principal {
  const fault = (what: string) =>
    new AdminError("MISCONFIGURED", `${source}: ${what}; the host's code must fix it`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fault(`it is ${kindOf(value)}, not a principal ({ id, tenants, permissions }) or null`);
  }
  const { id, tenants, permissions, userId, sessionId } = value as Record<string, unknown>;
  if (typeof id !== "string" || id.length === 0) {
    throw fault(`id is ${kindOf(id)}, not a non-empty string`);
  }
  if (tenants !== "*") {
    if (!isStringList(tenants)) {
      throw fault(
        `tenants is ${kindOf(tenants)}, not a list of tenant ids or "*" (a single tenant is ["1001"], not "1001")`,
      );
    }
    if (tenants.some((tenant) => tenant.length === 0)) throw fault("tenants holds an empty id");
  }
  const names = permissions instanceof Set ? [...permissions] : permissions;
  if (!isStringList(names)) {
    throw fault(`permissions is ${kindOf(permissions)}, not a list or Set of permission names`);
  }
  const unknown = names.find((name) => !KNOWN_PERMISSIONS.has(name));
  if (unknown !== undefined) {
    throw fault(
      `permissions holds ${quote(unknown)}, which is not one of ${PERMISSIONS.map((p) => `'${p}'`).join(", ")}`,
    );
  }
  for (const [field, given] of [
    ["userId", userId],
    ["sessionId", sessionId],
  ] as const) {
    if (given !== undefined && given !== null && (typeof given !== "string" || given === "")) {
      throw fault(`${field} is ${kindOf(given)}, not a non-empty string or null`);
    }
  }
  return value as unknown as Principal;
}

/** True when the principal holds the permission: in a `Set`, or as an item of a list. */
export function hasPermission(principal: Principal, permission: Permission): boolean {
  const { permissions } = principal;
  if (permissions instanceof Set) return permissions.has(permission);
  return Array.isArray(permissions) && permissions.includes(permission);
}

/** True when the principal may act in the tenant: `"*"`, or a list holding exactly that id. */
export function canAccessTenant(principal: Principal, tenantId: string): boolean {
  const { tenants } = principal;
  return tenants === "*" || (Array.isArray(tenants) && tenants.includes(tenantId));
}

/**
 * Throws a 403 unless the principal holds at least one of the permissions.
 * @throws AdminError `FORBIDDEN`
 */
export function requirePermission(
  principal: Principal,
  ...anyOf: readonly [Permission, ...Permission[]]
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
