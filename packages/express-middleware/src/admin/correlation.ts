import { randomBytes } from "node:crypto";
import type { Request, Response } from "express";

/** The header a correlation id arrives in and is echoed back in. */
export const CORRELATION_HEADER = "X-Correlation-ID";

// Letters, digits and a few separators: safe to echo in a header and to write to a log line.
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** A fresh id shaped like Octane's: 25 lowercase letters and digits (~129 bits). */
export function newCorrelationId(): string {
  const bytes = randomBytes(25);
  let id = "";
  // 256 is not a multiple of 36, so the bias is tiny and harmless for an id that is not a secret.
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

/**
 * The request's correlation id: the caller's `X-Correlation-ID` when it is well formed
 * (8–128 characters of letters, digits, `.`, `_`, `:`, `-`), else a new one. It is set on
 * the response header so the caller can quote it, and kept on `res.locals` so a second call
 * in the same request returns the same id.
 */
export function correlationIdFor(req: Request, res: Response): string {
  const existing: unknown = res.locals.correlationId;
  if (typeof existing === "string") return existing;
  const incoming = req.headers[CORRELATION_HEADER.toLowerCase()];
  const id =
    typeof incoming === "string" && WELL_FORMED.test(incoming) ? incoming : newCorrelationId();
  res.locals.correlationId = id;
  if (!res.headersSent) res.setHeader(CORRELATION_HEADER, id);
  return id;
}
