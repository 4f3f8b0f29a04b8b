/**
 * The HTTP benchmark's load generator, in a second process: a fixed number of concurrent
 * keep-alive connections sending one route until `requests` are done or `durationMs` has
 * passed. Every response must be a 200 whose JSON has the expected shape, or it counts as an
 * error. Reports requests, errors, throughput and latency percentiles over IPC.
 *
 *   node bench/http-load.mjs <url> <apiKey> <concurrency> <requests> <durationMs> <list|groups>
 */
import { Agent } from "node:http";
import { percentile, send } from "./http-client.mjs";

/** True when a response body is what the route promises. */
const EXPECTED = {
  list: (body) =>
    Number.isInteger(body.total_count) && Array.isArray(body.data) && body.data.length > 0,
  groups: (body) =>
    Number.isInteger(body.groupsTotalCount) && Array.isArray(body.groups) && body.groups.length > 0,
};

async function main() {
  const [url, apiKey, concurrencyText, requestsText, durationText, route] = process.argv.slice(2);
  const concurrency = Number(concurrencyText);
  const requests = Number(requestsText);
  const deadline = Date.now() + Number(durationText);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const expected = EXPECTED[route];
  const latencies = [];
  const failures = [];
  let sent = 0;
  const worker = async () => {
    while (sent < requests && Date.now() < deadline) {
      sent++;
      const response = await send(url, { agent, headers: { "x-api-key": apiKey } });
      const text = response.error ?? response.body.toString("utf8");
      let ok = response.status === 200;
      if (ok) {
        try {
          ok = expected(JSON.parse(text));
        } catch {
          ok = false;
        }
      }
      if (ok) latencies.push(response.ms);
      else if (failures.length < 5) failures.push(`${response.status}: ${text.slice(0, 200)}`);
      else failures.push("");
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  process.send({
    route,
    concurrency,
    sent,
    completed: latencies.length,
    errors: failures.length,
    failures: failures.filter(Boolean),
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50) ?? 0,
    p99: percentile(latencies, 99) ?? 0,
    max: latencies.at(-1) ?? 0,
  });
}

await main();
