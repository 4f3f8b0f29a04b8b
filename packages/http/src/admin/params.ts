/**
 * Request validation shared by the dialects: query-string parameters (strictly decoded by
 * `url.ts`, so the same under Express 4 and 5 whatever the app's `query parser` setting), and
 * JSON bodies read with a size limit whether or not the host mounted a body parser.
 */

import { ValidationError } from "@session-ledger/core";
import { AdminError } from "./errors.js";
import { parseJsonSliced } from "./json.js";
import type { AdminLimits } from "./limits.js";
import type { AdminRequest } from "./request.js";
import { quote } from "./text.js";

/**
 * One optional parameter. The door (`checkUrl`) has refused a parameter given twice, so a
 * client never gets an answer to a question it did not ask.
 */
export function optionalParam(params: URLSearchParams, name: string): string | undefined {
  return params.get(name) ?? undefined;
}

/** Bounds of an integer parameter. */
export interface IntegerParamOptions {
  min: number;
  max: number;
  /** Used when the parameter is absent. */
  fallback: number;
}

/**
 * An integer parameter within `[min, max]`, written in plain decimal digits.
 * @throws ValidationError naming the parameter, the bounds and what was given
 */
export function integerParam(
  params: URLSearchParams,
  name: string,
  { min, max, fallback }: IntegerParamOptions,
): number {
  const text = optionalParam(params, name);
  if (text === undefined) return fallback;
  // Digits only: Number() would also take "1e3", "0x10", " 7 " and "".
  const value = /^-?\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError(
      `${name} must be an integer from ${min} to ${max}, got ${quote(text)}`,
      {
        target: name,
      },
    );
  }
  return value;
}

/** The page-size bounds of a router (see `AdminLimits`). */
export type PageSizeLimits = Pick<AdminLimits, "defaultPageSize" | "maxPageSize">;

/**
 * A page size, `limit`: 1 to `maxPageSize`, `defaultPageSize` when absent.
 * @throws ValidationError naming `limit`
 */
export const pageSizeParam = (params: URLSearchParams, limits: PageSizeLimits): number =>
  integerParam(params, "limit", {
    min: 1,
    max: limits.maxPageSize,
    fallback: limits.defaultPageSize,
  });

/**
 * A page by offset: `limit` (see {@link pageSizeParam}) and a whole number of rows to skip,
 * under the dialect's name for it (`offset`, `skip`), 0 when absent.
 * @throws ValidationError naming the parameter at fault
 */
export function offsetPageParams(
  params: URLSearchParams,
  limits: PageSizeLimits,
  offsetName: "offset" | "skip",
): { limit: number; offset: number } {
  return {
    limit: pageSizeParam(params, limits),
    offset: integerParam(params, offsetName, {
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
      fallback: 0,
    }),
  };
}

/** Options of {@link readJsonBody}. */
export interface ReadJsonBodyOptions {
  /** The largest body accepted, in bytes. */
  limit: number;
  /**
   * The most values (objects, arrays, strings, numbers…) the body may hold; bounds the work
   * of the largest bodies. @default 10000
   */
  maxValues?: number;
  /** Reads raw line breaks and tabs inside strings as escapes (LogScale). @default false */
  rawBreaksInStrings?: boolean;
}

/** The deepest nesting of arrays and objects in a body; no dialect's body needs more than 4. */
export const MAX_BODY_DEPTH = 32;

const tooLarge = (limit: number) =>
  new AdminError("PAYLOAD_TOO_LARGE", `the body must be at most ${limit} bytes`, {
    target: "body",
  });

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/**
 * The request's JSON body, read strictly: valid UTF-8, at most `MAX_BODY_DEPTH` deep, no
 * control characters (but tab and line breaks) or lone surrogates in strings, and parsed in
 * slices so that a large body does not hold up the host's other requests (`json.ts`). When a
 * host body parser already consumed the stream, its result is held to the same rules.
 * @throws AdminError `UNSUPPORTED_MEDIA_TYPE` when the body is not declared as JSON or is sent
 *   with a `Content-Encoding` other than `identity` (a compressed body would otherwise be read
 *   as JSON text, and its size limit would bound the compressed bytes only), `PAYLOAD_TOO_LARGE`
 *   over the limit
 * @throws ValidationError (target `body`, or the field at fault) when it is empty, not valid
 *   UTF-8 or JSON, or breaks a rule above
 */
export async function readJsonBody(
  req: AdminRequest,
  options: ReadJsonBodyOptions,
): Promise<unknown> {
  const parse = (text: string) =>
    parseJsonSliced(text, {
      maxDepth: MAX_BODY_DEPTH,
      maxValues: options.maxValues ?? 10_000,
      rawBreaksInStrings: options.rawBreaksInStrings ?? false,
    });
  if (req.parsedBody !== null) return parse(serialized(req.parsedBody.value));
  const encoding = req.headers.get("content-encoding");
  if (encoding !== null && encoding.trim().toLowerCase() !== "identity") {
    throw new AdminError(
      "UNSUPPORTED_MEDIA_TYPE",
      `Content-Encoding ${quote(encoding)} is not supported: send the body unencoded (identity)`,
      { target: "Content-Encoding" },
    );
  }
  const type = req.headers.get("content-type");
  const charset = type === null ? undefined : CHARSET.exec(type)?.[1]?.toLowerCase();
  const utf8 = charset === undefined || charset === "utf-8" || charset === "utf8";
  if (type === null || !JSON_TYPE.test(type) || !utf8) {
    throw new AdminError(
      "UNSUPPORTED_MEDIA_TYPE",
      "the body must be JSON in UTF-8, sent with Content-Type: application/json",
      { target: "Content-Type" },
    );
  }
  const { limit } = options;
  const declared = Number(req.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const text = await readText(req.request.body, limit);
  if (text.trim().length === 0) {
    throw new ValidationError("a JSON body is required", { target: "body" });
  }
  return parse(text);
}

function serialized(body: unknown): string {
  try {
    return JSON.stringify(body) ?? "";
  } catch (error) {
    // A cycle cannot come from JSON; nesting too deep for the stack can.
    throw new ValidationError(`body: nested deeper than ${MAX_BODY_DEPTH} levels`, {
      target: "body",
      cause: error,
    });
  }
}

/**
 * The body as text, decoded as UTF-8 as it arrives and refused past `limit` bytes. Reading
 * stops at the first fault: whatever the client still sends is the adapter's to drain, so the
 * connection stays usable for the error response.
 */
async function readText(body: ReadableStream<Uint8Array> | null, limit: number): Promise<string> {
  if (body === null) return "";
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const reader = body.getReader();
  const pieces: string[] = [];
  let size = 0;
  const decode = (chunk?: Uint8Array) => {
    try {
      pieces.push(chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true }));
    } catch {
      throw new ValidationError("body: not valid UTF-8", { target: "body" });
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw tooLarge(limit);
      decode(value);
    }
    decode();
  } catch (error) {
    void reader.cancel().catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
  return pieces.join("");
}
