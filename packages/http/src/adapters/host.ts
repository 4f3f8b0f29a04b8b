/**
 * What every framework adapter shares: the host's `authenticate` and `tenant` callbacks typed
 * on the framework's own request (Express's `req`, Fastify's `request`, Koa's `ctx`), and
 * mapped onto the handler's, which hands that object over as `req.raw`.
 */
import type { AdminRouterOptions } from "../admin/options.js";
import type { Principal } from "../admin/principal.js";
import type { AdminRequest } from "../admin/request.js";

/**
 * Turns a framework's request into a principal, or null when it carries no acceptable
 * credentials (401). May be async; a throw is a server error, not a 401.
 */
export type HostAuthenticate<Req> = (req: Req) => Principal | null | Promise<Principal | null>;

/** The tenant a framework's request acts in; see `defaultTenant`. */
export type HostTenantResolver<Req> = (
  req: Req,
  principal: Principal,
  fromPath: string | null,
) => string | Promise<string>;

/** A handler's options with the host's callbacks taking the framework's request. */
export type HostOptions<Options, Req> = Omit<Options, "authenticate" | "tenant"> & {
  /** Turns a request into a principal, or null (401). See `apiKeyAuthenticator`. */
  authenticate: HostAuthenticate<Req>;
  /** The tenant a request acts in. @default `defaultTenant` */
  tenant?: HostTenantResolver<Req>;
};

/** The host's callbacks handed the framework's request underneath the Web one. */
export function viaHost<Options extends AdminRouterOptions, Req>(
  options: HostOptions<Options, Req>,
): Options {
  // Anything but an object is left for the dialect's own check to word.
  if (typeof options !== "object" || options === null) return options as unknown as Options;
  const { authenticate, tenant } = options;
  const hostOf = (req: AdminRequest) => req.raw as Req;
  return {
    ...options,
    ...(typeof authenticate === "function" && {
      authenticate: (req: AdminRequest) => authenticate(hostOf(req)),
    }),
    ...(typeof tenant === "function" && {
      tenant: (req: AdminRequest, principal: Principal, fromPath: string | null) =>
        tenant(hostOf(req), principal, fromPath),
    }),
  } as unknown as Options;
}
