/**
 * Headers of either shape a host's callback may be handed: a Web request's `Headers` (every
 * adapter of this package) or Node's header object (an Express `req`, for hosts of
 * `@session-ledger/express`, whose `authenticate` and `tenant` get Express's own request).
 */
import type { IncomingHttpHeaders } from "node:http";

/** A request whose headers a shared helper reads (`apiKeyAuthenticator`, `defaultTenant`). */
export interface HeaderSource {
  readonly headers: Headers | IncomingHttpHeaders;
}

/** One header of either shape, or null; a repeated one Node gives as an array counts as absent. */
export function headerOf({ headers }: HeaderSource, name: string): string | null {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name);
  const value = (headers as IncomingHttpHeaders)[name.toLowerCase()];
  return typeof value === "string" ? value : null;
}
