/**
 * The load of the "me" benchmark, in its own process so the server under test has its core to
 * itself: `concurrency` keep-alive connections each sending `GET /me` with the user's Bearer
 * token in a closed loop for `durationMs`. A request counts as failed unless it is a 200 whose
 * JSON names the user's session. It stays up between windows (one warm client for every
 * server) and answers "run" with requests, failures, req/s and latency percentiles.
 *
 *   node bench/me-load.mjs
 */
import { Agent } from "node:http";
import { percentile, send } from "./http-client.mjs";
import { channel, exitOnStop } from "./processes.mjs";

const REQUEST_TIMEOUT_MS = 10_000;

async function run({ url, token, sessionId, concurrency, durationMs }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const headers = { authorization: `Bearer ${token}` };
  const expected = JSON.stringify({ id: sessionId });
  const latencies = [];
  const failures = [];
  const deadline = performance.now() + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const response = await send(url, { agent, headers, timeoutMs: REQUEST_TIMEOUT_MS });
      latencies.push(response.ms);
      const text = response.error ?? response.body.toString("utf8");
      if (response.status !== 200 || text !== expected) {
        failures.push(`${response.status} ${text.slice(0, 200)}`);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    failures: failures.length,
    failureSamples: failures.slice(0, 3),
    seconds,
    perSecond: (latencies.length - failures.length) / seconds,
    p50: percentile(latencies, 50) ?? null,
    p99: percentile(latencies, 99) ?? null,
    worst: latencies.at(-1) ?? null,
  };
}

const parent = channel(process);
parent.answer("run", (message) => run(message));
exitOnStop();
