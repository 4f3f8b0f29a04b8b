/**
 * The one option shape of the admin routers. Every dialect's `XRouterOptions` extends
 * {@link AdminRouterOptions} with what only it has (Octane's task runner, LogScale's path,
 * SAYMON's permission); its `limits` are the dialect's row of `DIALECT_LIMITS`.
 */
import type { SessionLedger } from "@session-ledger/core";
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
