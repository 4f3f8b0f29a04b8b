/** One HTTP request as the benchmark's clients send it, and the percentiles of their timings. */
import { request } from "node:http";

/** The `p`th percentile of ascending `sorted` values (undefined when there are none). */
export const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * Sends one request and resolves, never rejects, with the status, headers, body (a Buffer) and
 * time in ms; a request that failed (connection error, reset, or no data for `timeoutMs`) has
 * status 0 and `error` saying why, and its time is the time until it failed.
 */
export function send(url, { agent, method = "GET", headers = {}, body, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    const fail = (error) =>
      resolve({
        status: 0,
        headers: {},
        body: Buffer.alloc(0),
        ms: elapsed(),
        error: String(error),
      });
    const req = request(url, { agent, method, headers }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(chunks),
          ms: elapsed(),
          error: null,
        }),
      );
      res.on("error", fail);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no data for ${timeoutMs} ms`)));
    req.on("error", fail);
    req.end(body);
  });
}
