/**
 * The URL of an admin request, read strictly before any route sees it. Express decodes path
 * parameters itself and turns a malformed one into a bare `URIError`; `URLSearchParams`
 * replaces invalid UTF-8 with U+FFFD and reads `limit[$ne]=1` as a parameter nobody asked
 * for. Here each component is percent-decoded to bytes and then decoded as UTF-8 with a
 * fatal `TextDecoder`, every failure names the parameter, and a route accepts only the
 * query parameters it reads, each at most once.
 */
import { ValidationError } from "@session-ledger/core";
import { AdminError } from "./errors.js";
import type { AdminRequest } from "./request.js";
import { checkText, QUOTED_LENGTH, quote } from "./text.js";

/** The methods an admin route may answer. */
export type RouteMethod = "GET" | "PUT" | "POST";

/** Where a route is and which query parameters it reads. */
export interface RouteShape {
  method: RouteMethod;
  /** Express path syntax limited to literal segments and `:name` segments. */
  path: string;
  /** The query-string parameters it reads; any other is a 400 naming it. @default none */
  params?: readonly string[];
}

/** A request's URL as a route of {@link RouteShape} reads it. */
export interface CheckedUrl {
  route: RouteShape;
  /** The query string, strictly decoded: only known names, each once. */
  params: URLSearchParams;
  /** The path's named segments, percent-decoded and checked as text. */
  pathParams: Record<string, string>;
}

// `ignoreBOM`: a leading U+FEFF is part of a value, not something to drop silently.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ENCODER = new TextEncoder();
const HEX2 = /^[0-9A-Fa-f]{2}$/;
const OR = new Intl.ListFormat("en", { type: "disjunction" });

/**
 * One percent-encoded URL component, decoded strictly: `%` must be followed by two hex
 * digits, and the bytes must be valid UTF-8 (no overlong forms, no surrogates).
 * @param plusIsSpace true in a query string, where `+` stands for a space
 * @throws ValidationError naming `target`
 */
export function decodeComponent(raw: string, target: string, plusIsSpace: boolean): string {
  if (!/[%+\u0080-\uffff]/.test(raw)) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!HEX2.test(hex)) {
        throw new ValidationError(
          `${target}: malformed percent-encoding at ${i}: '%' must be followed by two hex digits`,
          { target, position: i },
        );
      }
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (code === 0x2b && plusIsSpace) {
      bytes.push(0x20);
    } else if (code <= 0xff) {
      // Node hands bytes of the request line over as latin1 characters.
      bytes.push(code);
    } else {
      bytes.push(...ENCODER.encode(raw[i]));
    }
  }
  return decodeUtf8(Uint8Array.from(bytes), target, "once percent-decoded");
}

/**
 * Bytes as UTF-8, strictly: invalid sequences are refused, never replaced with U+FFFD.
 * @throws ValidationError naming `target`
 */
export function decodeUtf8(bytes: Uint8Array, target: string, when = ""): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new ValidationError(`${target}: not valid UTF-8${when && ` ${when}`}`, { target });
  }
}

/** A parameter name as errors name it: decoded when it decodes, bounded either way. */
const targetOf = (name: string) => name.slice(0, QUOTED_LENGTH);

/**
 * The query string, strictly decoded, holding only the names in `known`, each at most once.
 * Values may hold tab and line breaks (a query may be written over several lines), no other
 * control character.
 * @throws ValidationError naming the parameter at fault
 */
export function readQueryString(raw: string, known: readonly string[]): URLSearchParams {
  const pairs: [name: string, rawValue: string][] = [];
  for (const pair of raw.split("&")) {
    if (pair === "") continue;
    const equals = pair.indexOf("=");
    const rawName = equals < 0 ? pair : pair.slice(0, equals);
    const name = decodeComponent(rawName, targetOf(rawName), true);
    if (!known.includes(name)) {
      const takes = known.length > 0 ? `it takes ${known.join(", ")}` : "it takes none";
      throw new ValidationError(`unknown parameter ${quote(name)}: ${takes}`, {
        target: targetOf(name),
      });
    }
    pairs.push([name, equals < 0 ? "" : pair.slice(equals + 1)]);
  }
  const params = new URLSearchParams();
  for (const [name, rawValue] of pairs) {
    if (params.has(name)) {
      const count = pairs.filter(([other]) => other === name).length;
      throw new ValidationError(`${name} must be given at most once, got ${count} values`, {
        target: name,
      });
    }
    const value = decodeComponent(rawValue, name, true);
    params.append(name, checkText(value, name, { breaks: true }));
  }
  return params;
}

/**
 * The raw (still encoded) path parameters of `path` when it matches `pattern` as Express
 * matches by default (literal segments case-insensitive, a trailing slash allowed), else null.
 */
export function matchPath(pattern: string, path: string): Map<string, string> | null {
  const want = pattern.split("/");
  const have = path.split("/");
  if (have.length === want.length + 1 && have.at(-1) === "") have.pop();
  if (have.length !== want.length) return null;
  const params = new Map<string, string>();
  for (const [index, segment] of want.entries()) {
    const actual = have[index]!;
    if (segment.startsWith(":")) {
      if (actual === "") return null;
      params.set(segment.slice(1), actual);
    } else if (segment.toLowerCase() !== actual.toLowerCase()) {
      return null;
    }
  }
  return params;
}

/** The methods of routes on one path, for `Allow`: HEAD with GET, as Express answers it. */
function allowedMethods(routes: readonly RouteShape[]): string[] {
  const methods: string[] = routes.map((route) => route.method);
  if (methods.includes("GET")) methods.push("HEAD");
  return ["GET", "HEAD", "POST", "PUT"].filter((method) => methods.includes(method));
}

/**
 * Checks a request's URL against a dialect's routes, before Express decodes anything: null
 * when no route has this path (the request is not the dialect's); otherwise the route and its
 * checked query string. Path parameters are decoded strictly and may hold no control
 * character; Express then decodes them again, the same way, for the handler.
 * @throws AdminError `METHOD_NOT_ALLOWED` (`allow` lists the methods) for another method
 * @throws ValidationError naming the path or query parameter at fault
 */
export function checkUrl(
  req: Pick<AdminRequest, "method" | "url">,
  routes: readonly RouteShape[],
): CheckedUrl | null {
  const at = req.url.indexOf("?");
  const path = at < 0 ? req.url : req.url.slice(0, at);
  const matching = routes.flatMap((route) => {
    const params = matchPath(route.path, path);
    return params === null ? [] : [{ route, params }];
  });
  // OPTIONS is left to the host's CORS handling, or to Express's own answer (which lists Allow).
  if (matching.length === 0 || req.method === "OPTIONS") return null;
  const method = req.method === "HEAD" ? "GET" : req.method;
  const match = matching.find(({ route }) => route.method === method);
  if (match === undefined) {
    const allow = allowedMethods(matching.map(({ route }) => route));
    throw new AdminError(
      "METHOD_NOT_ALLOWED",
      `${req.method} is not allowed here: use ${OR.format(allow)}`,
      { allow },
    );
  }
  const pathParams: Record<string, string> = {};
  for (const [name, raw] of match.params) {
    pathParams[name] = checkText(decodeComponent(raw, name, false), name, { breaks: false });
  }
  const query = at < 0 ? "" : req.url.slice(at + 1);
  return {
    route: match.route,
    params: readQueryString(query, match.route.params ?? []),
    pathParams,
  };
}
