/**
 * The Octane list and groups routes under concurrent load: the server in one process, the
 * load generator in another, over loopback with keep-alive. A short warm-up run first, then
 * the measured one; every response is checked (status and shape), so nothing lost goes unseen.
 */
import { BENCH_TENANT } from "./dataset.mjs";
import { runChild, startServer } from "./processes.mjs";
import { API_KEY, octaneQuery } from "./workload.mjs";

export const HTTP = { concurrency: 8, requests: 4000, durationMs: 20_000, warmup: 300 };

/** The routes, with the ≤ 30-day creation range the Octane router requires. */
function routes(port) {
  const base = `http://127.0.0.1:${port}/api/shared_spaces/${BENCH_TENANT}/sessions`;
  const query = octaneQuery(29);
  return [
    [
      "list",
      "GET …/sessions (page of 100, filter, sort, total)",
      `${base}?query=${query}&order_by=-creation_time&limit=100`,
    ],
    [
      "groups",
      "GET …/sessions/groups (license_edition)",
      `${base}/groups?group_by=license_edition&query=${query}`,
    ],
  ];
}

export async function runHttpSuite(path, log) {
  const server = await startServer("http-server.mjs", [path]);
  try {
    const results = [];
    for (const [route, label, url] of routes(server.port)) {
      const load = (requests) =>
        runChild("http-load.mjs", [
          url,
          API_KEY,
          HTTP.concurrency,
          requests,
          HTTP.durationMs,
          route,
        ]);
      await load(HTTP.warmup);
      log(`  ${label}…`);
      results.push({ label, url, ...(await load(HTTP.requests)) });
    }
    return results;
  } finally {
    await server.stop();
  }
}
