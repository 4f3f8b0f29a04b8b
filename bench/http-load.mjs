/**
 * The HTTP benchmark's load generator, in a second process: a fixed number of concurrent
 * keep-alive connections sending one route until `requests` are done or `durationMs` has
 * passed. Every response must be a 200 whose JSON has the expected shape, or it counts as an
 * error. Reports requests, errors, throughput and latency percentiles over IPC.
 *
 *   node bench/http-load.mjs <url> <apiKey> <concurrency> <requests> <durationMs> <list|groups>
 */
import { Agent, request } from "node:http";

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** True when a response body is what the route promises. */
const EXPECTED = {
  list: (body) =>
    Number.isInteger(body.total_count) && Array.isArray(body.data) && body.data.length > 0,
  groups: (body) =>
    Number.isInteger(body.groupsTotalCount) && Array.isArray(body.groups) && body.groups.length > 0,
};

function get(agent, url, apiKey) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = request(url, { agent, headers: { "x-api-key": apiKey } }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode,
          body: Buffer.concat(chunks).toString("utf8"),
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        }),
      );
      res.on("error", (error) => resolve({ status: 0, body: String(error), ms: 0 }));
    });
    req.on("error", (error) => resolve({ status: 0, body: String(error), ms: 0 }));
    req.end();
  });
}

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
      const response = await get(agent, url, apiKey);
      let ok = response.status === 200;
      if (ok) {
        try {
          ok = expected(JSON.parse(response.body));
        } catch {
          ok = false;
        }
      }
      if (ok) latencies.push(response.ms);
      else if (failures.length < 5)
        failures.push(`${response.status}: ${response.body.slice(0, 200)}`);
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
