/**
 * `createConsoleHandler`: the console page as a Web-standard handler, `Request → Response |
 * null`, so any framework serves it (the Express bridge is `@session-ledger/console/express`).
 * It serves `index.html` and the hashed assets under `basePath` and nothing else; the page then
 * calls the Octane routes with the host's authentication.
 */
import { type Asset, etagOf, type PageFiles, readPageFiles } from "./assets.js";

/** How the page authenticates its calls to the admin routes. */
export type ConsoleAuth = "cookie" | "api-key";

/** Options of {@link createConsoleHandler}. */
export interface ConsoleHandlerOptions {
  /** Where the host mounts the console, as the server sees the path: `/`, `/admin`. */
  basePath: string;
  /**
   * How the page authenticates: `"cookie"` sends the host's own session cookie (the host's
   * `authenticate` turns it into a principal); `"api-key"` asks for a key and keeps it in
   * `sessionStorage`, sending it as `X-API-KEY`.
   */
  auth: ConsoleAuth;
  /**
   * Where the Octane routes are mounted, as the browser reaches them: resolved against the
   * page's own URL, so a relative value keeps working behind a proxy that adds a prefix.
   * @default the path from `basePath` back to the root: `./` for `/`, `../` for `/admin`
   */
  apiBase?: string;
  /** The space shown first when the caller may see several (or any). @default the caller's first */
  defaultSpace?: string;
  /**
   * The page's `Content-Security-Policy`; false sends none (the host sets its own).
   * @default {@link DEFAULT_CSP}
   */
  contentSecurityPolicy?: string | false;
}

/** The page's own policy: nothing but its own files and the admin routes of its origin. */
export const DEFAULT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

/** What the page reads from its `<meta name="session-ledger-console">`. */
export interface ConsolePageConfig {
  apiBase: string;
  auth: ConsoleAuth;
  defaultSpace: string | null;
}

/** A handler of the same shape as the admin handler's: null for requests outside its routes. */
export interface ConsoleHandler {
  (request: Request): Promise<Response | null>;
  /**
   * Whether a path (no query) is the page's, so a framework adapter (`toExpress`, `toFastify`…
   * of `@session-ledger/http`) passes other requests on without building a Web `Request`.
   */
  claims(path: string): boolean;
}

const SEGMENT = /^[A-Za-z0-9._~!$&'()*+,;=:@%-]+$/;

/** `/admin/` → `/admin`; checks the path is one a URL can hold. */
function normalizeBase(basePath: unknown): string {
  if (typeof basePath !== "string" || !basePath.startsWith("/")) {
    throw new TypeError(
      `createConsoleHandler: basePath must be a path starting with "/", e.g. "/admin"; got ${JSON.stringify(basePath)}`,
    );
  }
  const trimmed = basePath.replace(/\/+$/, "");
  for (const segment of trimmed.split("/").slice(1)) {
    if (!SEGMENT.test(segment) || segment === "." || segment === "..") {
      throw new TypeError(
        `createConsoleHandler: basePath ${JSON.stringify(basePath)} has a segment a URL path cannot hold as is: ${JSON.stringify(segment)}`,
      );
    }
  }
  return trimmed;
}

function checkOptions(options: ConsoleHandlerOptions): ConsolePageConfig & { base: string } {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      "createConsoleHandler: options are required, e.g. { basePath: '/admin', auth: 'cookie' }",
    );
  }
  const base = normalizeBase(options.basePath);
  if (options.auth !== "cookie" && options.auth !== "api-key") {
    throw new TypeError(
      `createConsoleHandler: auth must be "cookie" (the host's session cookie) or "api-key" (the page asks for a key); got ${JSON.stringify(options.auth)}`,
    );
  }
  const depth = base === "" ? 0 : base.split("/").length - 1;
  const apiBase = options.apiBase ?? (depth === 0 ? "./" : "../".repeat(depth));
  if (typeof apiBase !== "string" || apiBase === "" || /[\s"<>\\]/.test(apiBase)) {
    throw new TypeError(
      `createConsoleHandler: apiBase must be a URL path such as "/" or "../"; got ${JSON.stringify(apiBase)}`,
    );
  }
  const { defaultSpace = null } = options;
  if (defaultSpace !== null && (typeof defaultSpace !== "string" || defaultSpace.trim() === "")) {
    throw new TypeError(
      `createConsoleHandler: defaultSpace must be a space id; got ${JSON.stringify(defaultSpace)}`,
    );
  }
  const csp = options.contentSecurityPolicy;
  if (csp !== undefined && csp !== false && (typeof csp !== "string" || /[\r\n]/.test(csp))) {
    throw new TypeError(
      "createConsoleHandler: contentSecurityPolicy must be a header value or false",
    );
  }
  return {
    base,
    auth: options.auth,
    apiBase: apiBase.endsWith("/") ? apiBase : `${apiBase}/`,
    defaultSpace,
  };
}

const escapeAttribute = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * The console page as a handler. It answers `GET`/`HEAD` of `basePath` (redirected to
 * `basePath/`, where the page's relative URLs resolve), `basePath/` and `basePath/index.html`
 * (the page, `no-cache`, with the CSP), and `basePath/assets/<hashed name>` (a year's
 * `immutable` cache); another method there is a 405. Anything else is null, for the host.
 *
 * ```ts
 * const console = createConsoleHandler({ basePath: "/admin", auth: "cookie" });
 * ```
 * @throws TypeError when an option is missing or malformed, or the page is not built
 */
export function createConsoleHandler(options: ConsoleHandlerOptions): ConsoleHandler {
  const config = checkOptions(options);
  return consoleHandler(options, config, readPageFiles());
}

/** The handler over page files already read. */
function consoleHandler(
  options: ConsoleHandlerOptions,
  { base, ...config }: ConsolePageConfig & { base: string },
  files: PageFiles,
): ConsoleHandler {
  const csp = options.contentSecurityPolicy ?? DEFAULT_CSP;
  const meta = `<meta name="session-ledger-console" content="${escapeAttribute(JSON.stringify(config))}" />`;
  const html = files.indexHtml.replace(
    /<meta name="session-ledger-console" content="[^"]*" \/>/,
    meta,
  );
  if (html === files.indexHtml && !files.indexHtml.includes(meta)) {
    throw new Error(
      "createConsoleHandler: the built index.html has no session-ledger-console meta tag",
    );
  }
  const page: Asset = {
    body: new TextEncoder().encode(html),
    type: "text/html; charset=utf-8",
    etag: etagOf(html),
  };
  const lastSegment = base.slice(base.lastIndexOf("/") + 1);

  const pageHeaders = (): Headers => {
    const headers = new Headers({
      "Cache-Control": "no-cache",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "same-origin",
    });
    if (csp !== false) headers.set("Content-Security-Policy", csp);
    return headers;
  };

  const send = (request: Request, asset: Asset, headers: Headers): Response => {
    headers.set("Content-Type", asset.type);
    headers.set("ETag", asset.etag);
    headers.set("X-Content-Type-Options", "nosniff");
    if (request.headers.get("If-None-Match") === asset.etag) {
      return new Response(null, { status: 304, headers });
    }
    headers.set("Content-Length", String(asset.body.byteLength));
    return new Response(request.method === "HEAD" ? null : asset.body, { status: 200, headers });
  };

  const claims = (path: string) =>
    (base !== "" && path === base) ||
    path === `${base}/` ||
    path === `${base}/index.html` ||
    (path.startsWith(`${base}/assets/`) &&
      files.assets.has(path.slice(base.length + "/assets/".length)));

  const handler = async (request: Request) => {
    const url = new URL(request.url);
    const path = url.pathname;
    let answer: () => Response;
    if (base !== "" && path === base) {
      // Relative to the last segment, so it holds behind a proxy that adds a prefix.
      answer = () =>
        new Response(null, { status: 308, headers: { Location: `${lastSegment}/${url.search}` } });
    } else if (path === `${base}/` || path === `${base}/index.html`) {
      answer = () => send(request, page, pageHeaders());
    } else if (path.startsWith(`${base}/assets/`)) {
      const asset = files.assets.get(path.slice(base.length + "/assets/".length));
      if (asset === undefined) return null;
      answer = () =>
        send(
          request,
          asset,
          new Headers({ "Cache-Control": "public, max-age=31536000, immutable" }),
        );
    } else {
      return null;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("the console answers GET and HEAD only\n", {
        status: 405,
        headers: { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" },
      });
    }
    return answer();
  };
  return Object.assign(handler, { claims });
}
