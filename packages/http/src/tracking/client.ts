/** What a login request says about the client: its token, address, agent and location. */
import type { ClientInfo } from "@session-ledger/core";
import type { Request } from "express";
import UAParser from "ua-parser-js";

/** Where a request's session token was found. */
export interface PresentedToken {
  token: string;
  source: "cookie" | "bearer";
}

/**
 * The session token a request presents: `Authorization: Bearer <token>` first (a credential
 * the caller chose for this request), else the session cookie.
 */
export function presentedToken(
  req: Request,
  options: { cookieName: string; bearer: boolean },
): PresentedToken | null {
  if (options.bearer) {
    const header = req.headers.authorization;
    const match = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (match) return { token: match[1]!, source: "bearer" };
  }
  const cookie = readCookie(req.headers.cookie, options.cookieName);
  return cookie === null ? null : { token: cookie, source: "cookie" };
}

/** One cookie's value from a `Cookie` header (RFC 6265), without needing cookie-parser. */
export function readCookie(header: string | undefined, name: string): string | null {
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

/**
 * Browser, OS and device type parsed from a user agent by ua-parser-js. Names only, no
 * versions, so sessions group and filter by browser; the full agent is kept beside it.
 * A browser or OS without a device type is a desktop (ua-parser-js leaves desktops untyped).
 */
export function clientInfoOf(userAgent: string | null | undefined): ClientInfo | null {
  if (!userAgent) return null;
  const { browser, os, device } = new UAParser(userAgent).getResult();
  const info: ClientInfo = {
    browser: browser.name ?? null,
    os: os.name ?? null,
    device: device.type ?? (browser.name || os.name ? "desktop" : null),
  };
  return info.browser === null && info.os === null ? null : info;
}

/**
 * City and country from Cloudflare's `cf-ipcity` and `cf-ipcountry` headers. Only call this
 * when a CDN that sets them sits in front of the app: anyone else can send them.
 */
export function cdnLocationOf(req: Request): { city: string | null; country: string | null } {
  const header = (name: string) => {
    const value = req.headers[name];
    if (typeof value !== "string" || value.trim() === "") return null;
    // Node reads header bytes as Latin-1; the CDN sends UTF-8 ("São Paulo").
    return Buffer.from(value.trim(), "latin1").toString("utf8").slice(0, 128);
  };
  const country = header("cf-ipcountry");
  // XX is Cloudflare's "unknown"; T1 (Tor) is kept, it says something true about the client.
  return { city: header("cf-ipcity"), country: country === "XX" ? null : country };
}
