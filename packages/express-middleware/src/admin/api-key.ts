import { createHash, timingSafeEqual } from "node:crypto";
import type { Request } from "express";
import type { Authenticate, Principal } from "./principal.js";

/** Options of {@link apiKeyAuthenticator}. */
export interface ApiKeyAuthenticatorOptions {
  /** Each accepted key and the principal it stands for. */
  keys: Readonly<Record<string, Principal>> | ReadonlyMap<string, Principal>;
}

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * An `authenticate` for static API keys, sent the way the seed APIs' clients send them:
 * `X-API-KEY: <key>`, `Authorization: Bearer <key>`, or Basic auth with the key as the
 * password (any user name). Keys are compared as SHA-256 digests in constant time, and every
 * key is compared on every request, so timing reveals neither a key nor which one matched.
 */
export function apiKeyAuthenticator(options: ApiKeyAuthenticatorOptions): Authenticate {
  const entries = options.keys instanceof Map ? [...options.keys] : Object.entries(options.keys);
  const known = entries.map(([key, principal]) => {
    if (key.length === 0) throw new TypeError("apiKeyAuthenticator: an API key must not be empty");
    return { digest: digest(key), principal };
  });
  return (req: Request) => {
    const presented = presentedKey(req);
    if (presented === null) return null;
    const candidate = digest(presented);
    let match: Principal | null = null;
    for (const entry of known) {
      if (timingSafeEqual(candidate, entry.digest)) match = entry.principal;
    }
    return match;
  };
}

/** The key a request presents, or null; headers that are malformed count as absent. */
function presentedKey(req: Request): string | null {
  const header = req.headers["x-api-key"];
  if (typeof header === "string" && header.length > 0) return header.trim();
  const authorization = req.headers.authorization;
  if (typeof authorization !== "string") return null;
  const [scheme, value] = splitOnce(authorization.trim(), " ");
  if (value === undefined || value.length === 0) return null;
  switch (scheme.toLowerCase()) {
    case "bearer":
      return value.trim();
    case "basic": {
      const decoded = Buffer.from(value.trim(), "base64").toString("utf8");
      const [, password] = splitOnce(decoded, ":");
      return password === undefined || password.length === 0 ? null : password;
    }
    default:
      return null;
  }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}
