/**
 * Login tracking without a framework: what a request presents (its session token, its client
 * facts) read from its headers, and the `Set-Cookie` lines that store and clear the token.
 * Each adapter's native wrapper (Express's `sessionTracking`, …) is these functions plus the
 * framework's own way of reading a header and sending one, so the host's per-request check
 * never pays for building a Web `Request`.
 */
import type { ClientInfo, CreateSessionInput } from "@session-ledger/core";
import { serialize } from "cookie";
import { type HeaderSource, headerOf } from "../admin/headers.js";
import { clientInfoOf } from "./client.js";

/** The name of the session cookie unless a host names another. */
export const DEFAULT_COOKIE_NAME = "sl_session";

/** A token a request presents, and where it came from. */
export interface PresentedToken {
  token: string;
  /** A cookie (a browser) or `Authorization: Bearer` (an API client). */
  source: "cookie" | "bearer";
}

/**
 * The session token a request presents: a bearer token when `bearer` allows it, else the
 * session cookie; null when it presents neither.
 */
export function presentedToken(
  req: HeaderSource,
  options: { cookieName: string; bearer: boolean },
): PresentedToken | null {
  if (options.bearer) {
    const header = headerOf(req, "authorization");
    const match = header === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return { token: match[1]!, source: "bearer" };
  }
  const cookie = readCookie(headerOf(req, "cookie"), options.cookieName);
  return cookie === null ? null : { token: cookie, source: "cookie" };
}

/** One cookie's value from a `Cookie` header, percent-decoded; null when absent or empty. */
export function readCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  for (const pair of header.split(";")) {
    const at = pair.indexOf("=");
    if (at < 0 || pair.slice(0, at).trim() !== name) continue;
    let value = pair.slice(at + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // A malformed escape is kept as sent; it then simply fails validation.
    }
    return value.length > 0 ? value : null;
  }
  return null;
}

/** How the session cookie is set. */
export interface SessionCookieOptions {
  /** Send it over HTTPS only. @default true */
  secure?: boolean;
  /** @default "lax" */
  sameSite?: "lax" | "strict" | "none";
  /** @default "/" */
  path?: string;
  domain?: string;
}

/** The cookie's attributes, checked: a SameSite=None cookie must be Secure. */
export interface CookieAttributes {
  httpOnly: true;
  secure: boolean;
  sameSite: "lax" | "strict" | "none";
  path: string;
  domain?: string;
}

/**
 * The attributes of the session cookie: HttpOnly always, Secure and SameSite=Lax unless told.
 * @throws TypeError for SameSite=None without Secure, which browsers drop
 */
export function cookieAttributes(options: SessionCookieOptions = {}): CookieAttributes {
  const secure = options.secure ?? true;
  const sameSite = options.sameSite ?? "lax";
  if (sameSite === "none" && !secure) {
    throw new TypeError("a SameSite=None session cookie must be Secure");
  }
  const attributes: CookieAttributes = {
    httpOnly: true,
    secure,
    sameSite,
    path: options.path ?? "/",
  };
  if (options.domain !== undefined) attributes.domain = options.domain;
  return attributes;
}

/**
 * The `Set-Cookie` line that stores a session's token for as long as the session may live
 * (`Max-Age` and `Expires`, as Express's `res.cookie` writes them).
 */
export function sessionCookie(
  name: string,
  token: string,
  attributes: CookieAttributes,
  lifetime: { now: number; expiresAt: number },
): string {
  const maxAge = Math.max(0, lifetime.expiresAt - lifetime.now);
  return serialize(name, token, {
    ...attributes,
    maxAge: Math.floor(maxAge / 1000),
    expires: new Date(lifetime.now + maxAge),
  });
}

/** The `Set-Cookie` line that clears the session cookie (same path and domain it was set with). */
export function clearedCookie(
  name: string,
  where: { path?: string; domain?: string } = {},
): string {
  return serialize(name, "", {
    path: where.path ?? "/",
    ...(where.domain !== undefined && { domain: where.domain }),
    expires: new Date(0),
  });
}

/** What a login records about its client, read from the request's headers. */
export type ClientFacts = Pick<
  CreateSessionInput,
  "clientIp" | "userAgent" | "clientInfo" | "city" | "country"
>;

/**
 * The client facts of a login: the IP the framework resolved (never read from
 * `X-Forwarded-For` here), the user agent (at most 1,024 characters) and what it says of the
 * browser, OS and device, and, when the host trusts its CDN, the city and country headers.
 */
export function clientFactsOf(
  req: HeaderSource,
  options: {
    ip: string | null;
    trustCdnLocationHeaders?: boolean;
    location?: { city?: string | null; country?: string | null };
  },
): ClientFacts {
  const userAgent = headerOf(req, "user-agent");
  const cdn = options.trustCdnLocationHeaders ? cdnLocationOf(req) : { city: null, country: null };
  const clientInfo: ClientInfo | null = clientInfoOf(userAgent);
  return {
    clientIp: options.ip,
    userAgent: userAgent?.slice(0, 1024) ?? null,
    clientInfo,
    city: options.location?.city ?? cdn.city,
    country: options.location?.country ?? cdn.country,
  };
}

/**
 * The city and country a CDN (Cloudflare's `cf-ipcity`, `cf-ipcountry`) put on the request.
 * Only for hosts behind such a CDN: a client can send these headers itself.
 */
export function cdnLocationOf(req: HeaderSource): { city: string | null; country: string | null } {
  const header = (name: string) => {
    const value = headerOf(req, name);
    if (value === null || value.trim() === "") return null;
    // Header bytes arrive as Latin-1 characters; the CDN sends UTF-8 ("São Paulo").
    return Buffer.from(value.trim(), "latin1").toString("utf8").slice(0, 128);
  };
  const country = header("cf-ipcountry");
  // XX is Cloudflare's "unknown"; T1 (Tor) is kept, it says something true about the client.
  return { city: header("cf-ipcity"), country: country === "XX" ? null : country };
}
