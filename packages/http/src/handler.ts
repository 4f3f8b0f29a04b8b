/**
 * The admin routes as one Web-standard handler, `(request, context?) => Response | null`, which
 * every framework adapter (and any host with a `fetch`-style server) mounts as it is.
 */
import { checkOptions, kindOf } from "@session-ledger/core/store";
import type { DialectHandler } from "./admin/context.js";
import type { DialectName } from "./admin/limits.js";
import type { AdminRouterOptions } from "./admin/options.js";
import { adminRequest, type HandlerContext, pathOf } from "./admin/request.js";
import { quote } from "./admin/text.js";
import { type CogniteRouterOptions, cogniteDialect } from "./cognite/router.js";
import { type FormalRouterOptions, formalDialect } from "./formal/router.js";
import { type LogScaleRouterOptions, logScaleDialect } from "./logscale/router.js";
import { type OctaneRouterOptions, octaneDialect } from "./octane/router.js";
import { type SaymonRouterOptions, saymonDialect } from "./saymon/router.js";

/**
 * Answers an admin request with a Web `Response`, or null when the request is none of its
 * routes (a middleware then passes it on). It never throws for a request: every failure is an
 * answer in the dialect's error body.
 */
export interface AdminHandler {
  (request: Request, context?: HandlerContext): Promise<Response | null>;
  /**
   * Whether a request to this path (no query; relative to where the host mounts the handler,
   * `basePath` included) would be answered. Cheap: an adapter asks it before it builds a Web
   * `Request`, so the host's own routes pay nothing for the admin routes beside them.
   */
  claims(path: string): boolean;
}

/** Where a handler is mounted. */
export interface MountOptions {
  /**
   * The path prefix of every route, for a host that hands the handler full paths (a Next.js
   * catch-all route under `/api/admin`, a Hono app that mounts it at `*`). Requests outside it
   * are not the handler's (null). @default ""
   */
  basePath?: string;
}

/** The dialects of {@link createAdminHandler}, in the order they are tried. */
export const DIALECTS = ["octane", "cognite", "logscale", "formal", "saymon"] as const;

/** What one dialect may set apart from the others: its bounds, and how it finds its tenant. */
export type DialectOwn = Pick<AdminRouterOptions, "limits" | "tenant">;

/** Options of {@link createAdminHandler}: what the dialects share, and each one's own. */
export interface AdminHandlerOptions
  extends AdminRouterOptions,
    MountOptions,
    Pick<OctaneRouterOptions, "taskRunner"> {
  /** The dialects served. @default every one of {@link DIALECTS} */
  dialects?: readonly DialectName[];
  /** Octane's own options; its `limits` and `tenant` replace the shared ones. */
  octane?: Omit<OctaneRouterOptions, keyof AdminRouterOptions | "taskRunner"> & DialectOwn;
  /** LogScale's own options: `path`, `introspection`, `limits`, `tenant`. */
  logscale?: Omit<LogScaleRouterOptions, keyof AdminRouterOptions> & DialectOwn;
  /** SAYMON's own options: `permission`, `limits`, `tenant`. */
  saymon?: Omit<SaymonRouterOptions, keyof AdminRouterOptions> & DialectOwn;
  cognite?: DialectOwn;
  formal?: DialectOwn;
}

const FACTORY = "createAdminHandler";

/**
 * Every dialect, or the ones `dialects` names, over one ledger and one authentication:
 *
 * ```ts
 * const admin = createAdminHandler({ ledger, taskRunner, authenticate: apiKeyAuthenticator({ keys }) });
 * const response = (await admin(request, { ip })) ?? new Response("not found", { status: 404 });
 * ```
 *
 * @throws TypeError naming the option at fault (an unknown dialect, a missing task runner…)
 */
export function createAdminHandler(options: AdminHandlerOptions): AdminHandler {
  checkOptions(FACTORY, options, [
    "ledger",
    "authenticate",
    "tenant",
    "limits",
    "onError",
    "basePath",
    "taskRunner",
    "dialects",
    ...DIALECTS,
  ]);
  const { basePath, dialects = DIALECTS, taskRunner, ...shared } = options;
  if (
    !Array.isArray(dialects) ||
    dialects.length === 0 ||
    dialects.some((name) => !(DIALECTS as readonly unknown[]).includes(name))
  ) {
    throw new TypeError(
      `${FACTORY}: 'dialects' must be a non-empty list of ${DIALECTS.map(quote).join(", ")}, got ${
        Array.isArray(dialects) ? quote(dialects.join(",")) : kindOf(dialects)
      }`,
    );
  }
  const base: AdminRouterOptions = {
    ledger: shared.ledger,
    authenticate: shared.authenticate,
    ...(shared.tenant !== undefined && { tenant: shared.tenant }),
    ...(shared.limits !== undefined && { limits: shared.limits }),
    ...(shared.onError !== undefined && { onError: shared.onError }),
  };
  const own = <Name extends DialectName>(name: Name) => ({ ...base, ...options[name] });
  const build: Record<DialectName, () => DialectHandler> = {
    octane: () => octaneDialect({ ...own("octane"), taskRunner } as OctaneRouterOptions, FACTORY),
    cognite: () => cogniteDialect(own("cognite"), FACTORY),
    logscale: () => logScaleDialect(own("logscale") as LogScaleRouterOptions, FACTORY),
    formal: () => formalDialect(own("formal"), FACTORY),
    saymon: () => saymonDialect(own("saymon") as SaymonRouterOptions, FACTORY),
  };
  for (const name of DIALECTS) {
    if (!dialects.includes(name) && options[name] !== undefined) {
      throw new TypeError(
        `${FACTORY}: '${name}' options were given, but 'dialects' leaves ${name} out`,
      );
    }
  }
  return serve(
    [...new Set(dialects as readonly DialectName[])].map((name) => build[name]()),
    checkBasePath(FACTORY, basePath),
  );
}

/** The Octane routes alone. */
export const createOctaneHandler = (options: OctaneRouterOptions & MountOptions): AdminHandler =>
  alone("createOctaneHandler", options, octaneDialect);
/** The Cognite routes alone. */
export const createCogniteHandler = (options: CogniteRouterOptions & MountOptions): AdminHandler =>
  alone("createCogniteHandler", options, cogniteDialect);
/** The LogScale GraphQL route alone. */
export const createLogScaleHandler = (
  options: LogScaleRouterOptions & MountOptions,
): AdminHandler => alone("createLogScaleHandler", options, logScaleDialect);
/** The Formal routes alone. */
export const createFormalHandler = (options: FormalRouterOptions & MountOptions): AdminHandler =>
  alone("createFormalHandler", options, formalDialect);
/** The SAYMON route alone. */
export const createSaymonHandler = (options: SaymonRouterOptions & MountOptions): AdminHandler =>
  alone("createSaymonHandler", options, saymonDialect);

function alone<Options extends AdminRouterOptions>(
  factory: string,
  options: Options & MountOptions,
  dialect: (options: Options, factory: string) => DialectHandler,
): AdminHandler {
  if (typeof options !== "object" || options === null) {
    // The dialect's own check words this; it needs an object to strip basePath from.
    return serve([dialect(options as Options, factory)], "");
  }
  const { basePath, ...rest } = options;
  return serve([dialect(rest as unknown as Options, factory)], checkBasePath(factory, basePath));
}

function checkBasePath(factory: string, basePath: unknown): string {
  if (basePath === undefined || basePath === "") return "";
  if (typeof basePath !== "string" || !/^\/[^?#]*[^/?#]$/.test(basePath)) {
    throw new TypeError(
      `${factory}: 'basePath' must be a path that starts with '/' and does not end with one ('/api/admin'), got ${
        typeof basePath === "string" ? quote(basePath) : kindOf(basePath)
      }`,
    );
  }
  return basePath;
}

/** The dialects as one handler under `basePath`: the first whose routes claim a path answers. */
export function serve(dialects: readonly DialectHandler[], basePath: string): AdminHandler {
  const relative = (path: string): string | null => {
    if (basePath === "") return path;
    if (path.length > basePath.length && path[basePath.length] !== "/") return null;
    return path.slice(0, basePath.length).toLowerCase() === basePath.toLowerCase()
      ? path.slice(basePath.length) || "/"
      : null;
  };
  const claimant = (path: string) => {
    const inside = relative(path);
    return inside === null ? undefined : dialects.find((dialect) => dialect.claims(inside));
  };
  const handler = async (request: Request, context?: HandlerContext) => {
    const req = adminRequest(request, context);
    const dialect = claimant(pathOf(req.url));
    if (dialect === undefined) return null;
    // The prefix as the request spelt it, so a Location points back through it.
    const rest = req.url.slice(basePath.length);
    return dialect.handle({
      ...req,
      url: rest.startsWith("/") ? rest : `/${rest}`,
      basePath: req.basePath + req.url.slice(0, basePath.length),
    });
  };
  return Object.assign(handler, { claims: (path: string) => claimant(path) !== undefined });
}
