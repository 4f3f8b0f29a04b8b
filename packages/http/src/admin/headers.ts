/**
 * Headers of whatever shape a host's callback is handed: a Web request's `Headers`, Node's
 * header object (Express's `req`, Fastify's `request`, Koa's `ctx`), or Hono's context.
 */
import type { IncomingHttpHeaders } from "node:http";

/**
 * A request whose headers a shared helper reads (`apiKeyAuthenticator`, `defaultTenant`): one
 * with `headers` (a Web `Request`, Express's `req`, Fastify's `request`, Koa's `ctx`), or Hono's
 * context, whose Web request is `c.req.raw`.
 */
export type HeaderSource =
  | { readonly headers: Headers | IncomingHttpHeaders }
  | { readonly req: { readonly raw: { readonly headers: Headers } } };

/** One header of either shape, or null; a repeated one Node gives as an array counts as absent. */
export function headerOf(source: HeaderSource, name: string): string | null {
  const headers = "headers" in source ? source.headers : source.req.raw.headers;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name);
  const value = (headers as IncomingHttpHeaders)[name.toLowerCase()];
  return typeof value === "string" ? value : null;
}
