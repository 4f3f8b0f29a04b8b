import { randomBytes } from "node:crypto";

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
 * The correlation id of a request: the client's `X-Correlation-ID` when it is well formed (so
 * a caller can follow its own id through the host's logs), otherwise a new one. The pipeline
 * reads it once per request and sends it back on every answer.
 */
export function correlationIdOf(headers: Headers): string {
  const incoming = headers.get(CORRELATION_HEADER);
  return incoming !== null && WELL_FORMED.test(incoming) ? incoming : newCorrelationId();
}
