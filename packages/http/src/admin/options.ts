/**
 * The one option shape of the admin routers. Every dialect's `XRouterOptions` extends
 * {@link AdminRouterOptions} with what only it has (Octane's task runner, LogScale's path,
 * SAYMON's permission); its `limits` are the dialect's row of `DIALECT_LIMITS`.
 */
import type { SessionLedger } from "@session-ledger/core";
import { checkOptions, kindOf } from "@session-ledger/core/store";
import type { AdminErrorLogger } from "./context.js";
import type { AdminLimits } from "./limits.js";
import type { Authenticate } from "./principal.js";
import type { TenantResolver } from "./tenant.js";

/** What every admin router takes. */
export interface AdminRouterOptions<Limits extends AdminLimits = AdminLimits> {
  /** The ledger the routes read and end sessions through. */
  ledger: SessionLedger;
  /** Turns a request into a principal, or null (401). See `apiKeyAuthenticator`. */
  authenticate: Authenticate;
  /**
   * The tenant a request acts in, after authentication; whatever it answers is checked against
   * the principal's tenants (403). It gets the tenant the route's path names, when it names one
   * (Octane's `:space`, Cognite's `:org`), so a host can map path ids to its own tenant ids.
   * @default `defaultTenant`: the path's tenant, else the `X-Tenant-Id` header, else the
   *   principal's only tenant
   */
  tenant?: TenantResolver;
  /** Bounds of one request; each is optional, and each dialect documents its defaults. */
  limits?: Partial<Limits>;
  /** Receives server-side failures with their correlation id. @default console.error */
  onError?: AdminErrorLogger;
}

/** The option names of {@link AdminRouterOptions}, which every router takes. */
const BASE_OPTIONS = ["ledger", "authenticate", "tenant", "limits", "onError"] as const;

/** The ledger methods the admin routers call. */
const LEDGER_METHODS = ["list", "get", "now"] as const;

/**
 * A router's options, checked where they are given: one options object (not a positional
 * ledger), a ledger, an `authenticate` function, `tenant` and `onError` functions when given,
 * and no option the router does not know (reported as `checkOptions` does: a `TypeError` in
 * development, a warning in production).
 * @param factory the router's factory, for the messages (`createOctaneRouter`)
 * @param own the option names only this router takes
 * @throws TypeError naming the factory, the option and what to pass
 */
export function checkRouterOptions<Options extends object>(
  factory: string,
  options: Options,
  own: readonly (keyof Options & string)[] = [],
): Options {
  checkOptions(factory, options, [...BASE_OPTIONS, ...own] as (keyof Options & string)[]);
  const { ledger, authenticate, tenant, onError } = options as Partial<AdminRouterOptions>;
  const missing = LEDGER_METHODS.filter(
    (name) =>
      typeof (ledger as unknown as Record<string, unknown> | undefined)?.[name] !== "function",
  );
  if (typeof ledger !== "object" || ledger === null || missing.length > 0) {
    throw new TypeError(
      `${factory}: 'ledger' must be a ledger from createSessionLedger({ store }), got ${kindOf(ledger)}`,
    );
  }
  requireFunction(
    factory,
    "authenticate",
    authenticate,
    "(req) => principal or null, e.g. apiKeyAuthenticator({ keys })",
  );
  if (tenant !== undefined)
    requireFunction(factory, "tenant", tenant, "(req, principal, fromPath) => tenant id");
  if (onError !== undefined) requireFunction(factory, "onError", onError, "(error, info) => void");
  return options;
}

/**
 * A required function option.
 * @throws TypeError `<factory>: '<name>' must be a function <shape>, got …`
 */
export function requireFunction(
  factory: string,
  name: string,
  value: unknown,
  shape: string,
): void {
  if (typeof value !== "function") {
    throw new TypeError(`${factory}: '${name}' must be a function ${shape}, got ${kindOf(value)}`);
  }
}
