/**
 * The request an admin route sees, whatever framework delivered it: a Web `Request` and what
 * the framework knows beside it (`HandlerContext`), read once into one shape.
 */

/**
 * What a Web `Request` cannot carry, handed over by the framework adapter (every field is
 * optional: a bare `Request` is served too).
 */
export interface HandlerContext {
  /**
   * The client's IP address as the framework resolved it, honouring its own trusted-proxy
   * setting (Express's `req.ip`, Fastify's `request.ip`). The handler never reads
   * `X-Forwarded-For` itself. @default null
   */
  ip?: string | null;
  /**
   * The request target as it was sent (path and query, not normalised), relative to where the
   * framework mounted the handler. WHATWG URL parsing would fold `%2e%2e`, repeated slashes and
   * bad percent-escapes away before the strict URL checks see them.
   * @default the path and query of `request.url`
   */
  target?: string;
  /**
   * The path prefix the framework already removed from `target` (Express's `req.baseUrl`), so
   * a `Location` the handler sends points back through it. @default ""
   */
  basePath?: string;
  /**
   * The body, when a framework already read and parsed the stream (`express.json()`, Fastify's
   * parsers). Left out, the handler reads `request.body` itself under its own limits.
   */
  body?: unknown;
  /** The framework's own request object, for a host's `authenticate` (its `req.user`…). */
  raw?: unknown;
  /** Aborted when the client goes away. @default request.signal */
  signal?: AbortSignal;
}

/** An admin request, read once: what `authenticate`, tenant resolvers and routes receive. */
export interface AdminRequest {
  /** The Web request. Its body is read by the route that takes one, once. */
  readonly request: Request;
  /** `GET`, `PUT`, … in upper case. */
  readonly method: string;
  readonly headers: Headers;
  /** The target as sent, relative to the mount point: `/api/…?query=…`. */
  readonly url: string;
  /** The prefix before `url` (see {@link HandlerContext.basePath}). */
  readonly basePath: string;
  /** The path's named segments (`:space`, `:org`), percent-decoded; empty until a route matched. */
  readonly params: Readonly<Record<string, string>>;
  /** The client's IP address, as the framework resolved it; null when unknown. */
  readonly ip: string | null;
  /** The framework's own request object; undefined for a bare `Request`. */
  readonly raw: unknown;
  readonly signal: AbortSignal;
  /** The body a framework parsed already, wrapped; null when the stream is still unread. */
  readonly parsedBody: { readonly value: unknown } | null;
}

/** The target of a Web request: its path and query, as WHATWG URL parsing left them. */
export function targetOf(request: Request): string {
  const url = request.url;
  // An absolute URL: skip the scheme and authority without parsing the rest again.
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return start < 0 ? "/" : url.slice(start).replace(/#.*$/s, "");
}

/** Reads a request and its context into the one shape routes see. */
export function adminRequest(request: Request, context: HandlerContext = {}): AdminRequest {
  return {
    request,
    method: request.method.toUpperCase(),
    headers: request.headers,
    url: context.target ?? targetOf(request),
    basePath: context.basePath ?? "",
    params: {},
    ip: context.ip ?? null,
    raw: context.raw,
    signal: context.signal ?? request.signal,
    parsedBody: "body" in context && context.body !== undefined ? { value: context.body } : null,
  };
}

/** The same request with the path's named segments of the route it matched. */
export const withParams = (req: AdminRequest, params: Record<string, string>): AdminRequest => ({
  ...req,
  params,
});

/** The path of a target, without its query. */
export function pathOf(target: string): string {
  const at = target.indexOf("?");
  return at < 0 ? target : target.slice(0, at);
}
