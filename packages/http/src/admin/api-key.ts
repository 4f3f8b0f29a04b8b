import { createHash, timingSafeEqual } from "node:crypto";
import { checkOptions, kindOf } from "@session-ledger/core/store";
import { type HeaderSource, headerOf } from "./headers.js";
import { checkPrincipal, type Principal } from "./principal.js";

/** Options of {@link apiKeyAuthenticator}. */
export interface ApiKeyAuthenticatorOptions {
  /**
   * Each accepted key and the principal it stands for. A key is at least
   * {@link MIN_API_KEY_LENGTH} characters, without surrounding spaces, and not the text of an
   * unset variable (`"undefined"`, `"null"`).
   */
  keys: Readonly<Record<string, Principal>> | ReadonlyMap<string, Principal>;
}

/** The shortest API key `apiKeyAuthenticator` accepts. */
export const MIN_API_KEY_LENGTH = 16;

/** What a key's error tells the host to do instead. */
const KEY_ADVICE = `use a random key of at least ${MIN_API_KEY_LENGTH} characters (e.g. \`openssl rand -hex 32\`) and make sure the variable it comes from is set`;

/**
 * Why a configured key is refused, or null. `"undefined"` and `"null"` are what
 * `[process.env.KEY!]` becomes when the variable is unset; a padded key is a copy-paste slip
 * that no client would send (presented keys are trimmed).
 */
function keyFault(key: unknown): string | null {
  if (typeof key !== "string") return `is ${kindOf(key)}, not a string`;
  if (key.trim().length === 0) return "is blank";
  if (key !== key.trim()) return "starts or ends with white space";
  if (/^(undefined|null)$/i.test(key)) {
    return `is the text '${key}': the variable meant to hold it is probably unset`;
  }
  if (key.length < MIN_API_KEY_LENGTH) {
    return `is ${key.length} characters long, shorter than ${MIN_API_KEY_LENGTH}`;
  }
  return null;
}

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * An `authenticate` for static API keys, sent the way the seed APIs' clients send them:
 * `X-API-KEY: <key>`, `Authorization: Bearer <key>`, or Basic auth with the key as the
 * password (any user name). Keys are compared as SHA-256 digests in constant time, and every
 * key is compared on every request, so timing reveals neither a key nor which one matched.
 * @throws TypeError at construction when a key is refused (short, blank, padded, `"undefined"`
 *   or `"null"`: named by its position, never shown) or its principal is malformed
 */
export function apiKeyAuthenticator(
  options: ApiKeyAuthenticatorOptions,
): (req: HeaderSource) => Principal | null {
  checkOptions("apiKeyAuthenticator", options, ["keys"]);
  const { keys } = options;
  if (typeof keys !== "object" || keys === null || Array.isArray(keys)) {
    throw new TypeError(
      `apiKeyAuthenticator: 'keys' must be an object or a Map from each key to its principal, got ${kindOf(keys)}`,
    );
  }
  const entries: [unknown, unknown][] = keys instanceof Map ? [...keys] : Object.entries(keys);
  if (entries.length === 0) {
    throw new TypeError("apiKeyAuthenticator: 'keys' is empty, so no request could authenticate");
  }
  const known = entries.map(([key, principal], index) => {
    const name = `key #${index + 1} of ${entries.length}`;
    const fault = keyFault(key);
    if (fault !== null) throw new TypeError(`apiKeyAuthenticator: ${name} ${fault}; ${KEY_ADVICE}`);
    try {
      checkPrincipal(principal, `apiKeyAuthenticator: the principal of ${name}`);
    } catch (error) {
      throw new TypeError((error as Error).message);
    }
    return { digest: digest(key as string), principal: principal as Principal };
  });
  return (req: HeaderSource) => {
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
function presentedKey(req: HeaderSource): string | null {
  const header = headerOf(req, "x-api-key");
  if (header !== null && header.length > 0) return header.trim();
  const authorization = headerOf(req, "authorization");
  if (authorization === null) return null;
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
