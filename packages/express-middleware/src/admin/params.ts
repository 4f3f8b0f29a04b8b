/**
 * Request validation shared by the dialects: query-string parameters read the same way under
 * Express 4 and 5 whatever the app's `query parser` setting, and JSON bodies read with a size
 * limit whether or not the host mounted a body parser.
 */

import { ValidationError } from "@session-ledger/core";
import type { Request } from "express";
import { AdminError } from "./errors.js";

/**
 * The request's query string as `URLSearchParams`. Read from the URL rather than `req.query`,
 * whose shape depends on the Express version and the app's `query parser` setting.
 */
export function searchParamsOf(req: Request): URLSearchParams {
  const at = req.url.indexOf("?");
  return new URLSearchParams(at < 0 ? "" : req.url.slice(at + 1));
}

/**
 * One optional parameter. Given twice it is an error rather than a silent pick, so a client
 * never gets an answer to a question it did not ask.
 * @throws ValidationError naming the parameter
 */
export function optionalParam(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) {
    throw new ValidationError(`${name} must be given at most once, got ${values.length} values`, {
      target: name,
    });
  }
  return values[0];
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
    const shown = text.length > 20 ? `${text.slice(0, 20)}…` : text;
    throw new ValidationError(`${name} must be an integer from ${min} to ${max}, got '${shown}'`, {
      target: name,
    });
  }
  return value;
}

/** Options of {@link readJsonBody}. */
export interface ReadJsonBodyOptions {
  /** The largest body accepted, in bytes. */
  limit: number;
  /** Parses the text; a throw is reported as invalid JSON. @default JSON.parse */
  parse?: (text: string) => unknown;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * The request's JSON body. When a host body parser already consumed the stream, its result
 * is used; otherwise the body is read here, so routers work with or without `express.json()`.
 * @throws AdminError `UNSUPPORTED_MEDIA_TYPE` when the body is not declared as JSON,
 *   `PAYLOAD_TOO_LARGE` over the limit
 * @throws ValidationError (target `body`) when it is empty or not valid JSON
 */
export async function readJsonBody(
  req: Request,
  { limit, parse = JSON.parse }: ReadJsonBodyOptions,
): Promise<unknown> {
  if (req.readableEnded) {
    const parsed: unknown = req.body;
    if (parsed === undefined)
      throw new ValidationError("a JSON body is required", { target: "body" });
    return parsed;
  }
  const type = req.headers["content-type"];
  if (typeof type !== "string" || !JSON_TYPE.test(type)) {
    // Drain what was sent so the connection stays usable for the error response.
    req.resume();
    throw new AdminError(
      "UNSUPPORTED_MEDIA_TYPE",
      "the body must be JSON, sent with Content-Type: application/json",
    );
  }
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new AdminError("PAYLOAD_TOO_LARGE", `the body must be at most ${limit} bytes`);
  }
  const text = await readText(req, limit);
  if (text.trim().length === 0) {
    throw new ValidationError("a JSON body is required", { target: "body" });
  }
  try {
    return parse(text);
  } catch (error) {
    throw new ValidationError(`body: not valid JSON (${(error as Error).message})`, {
      target: "body",
      cause: error,
    });
  }
}

/**
 * Reads the body as UTF-8 text. Listens to events rather than async-iterating, because leaving
 * an iterator early destroys the socket, and the caller still has to send its 413.
 */
function readText(req: Request, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge) return;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        reject(new AdminError("PAYLOAD_TOO_LARGE", `the body must be at most ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const cleanup = () => {
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onError);
    };
    const onEnd = () => {
      cleanup();
      req.off("data", onData);
      if (!tooLarge) resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onError = (error?: unknown) => {
      cleanup();
      req.off("data", onData);
      reject(error instanceof Error ? error : new Error("the request was aborted"));
    };
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onError);
    req.once("aborted", onError);
  });
}
