/**
 * The host's user in the host-latency benchmark, in its own process: `GET /me` with the user's
 * Bearer token in a closed loop over one keep-alive connection, from "go" until "finish",
 * timing every request. A request fails when it is not a 200 naming the user's session, when
 * the connection fails or is reset, or when no answer comes within REQUEST_TIMEOUT_MS; its
 * time until it failed counts like any other. The harness pauses the loop while it restores
 * the database between admin iterations.
 *
 *   node bench/host-user.mjs
 */
import { Agent } from "node:http";
import { closedLoop } from "./closed-loop.mjs";
import { percentile, send } from "./http-client.mjs";
import { channel, exitOnStop } from "./processes.mjs";

const REQUEST_TIMEOUT_MS = 10_000;
const WARMUP_REQUESTS = 300;
const FAILURE_SAMPLES = 5;

function main() {
  const parent = channel(process);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let me;
  const timings = [];
  const failures = [];

  const request = async () => {
    const response = await send(me.url, {
      agent,
      headers: { authorization: `Bearer ${me.token}` },
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    let ok = response.status === 200;
    if (ok) {
      try {
        ok = JSON.parse(response.body.toString("utf8")).id === me.sessionId;
      } catch {
        ok = false;
      }
    }
    return {
      ok,
      ms: response.ms,
      failure: ok
        ? null
        : `${response.status} ${response.error ?? response.body.toString("utf8").slice(0, 200)}`,
    };
  };

  const loop = closedLoop(async () => {
    const { ok, ms, failure } = await request();
    timings.push(ms);
    if (!ok) failures.push(failure);
  });

  parent.answer("prepare", async ({ url, token, sessionId }) => {
    me = { url, token, sessionId };
    for (let i = 0; i < WARMUP_REQUESTS; i++) {
      const { ok, failure } = await request();
      if (!ok) throw new Error(`GET /me failed during warm-up: ${failure}`);
    }
    return { ready: true };
  });
  parent.answer("go", () => loop.start());
  parent.answer("pause", () => loop.pause());
  parent.answer("resume", () => loop.resume());
  parent.answer("finish", async () => {
    await loop.finish();
    agent.destroy();
    const sorted = [...timings].sort((a, b) => a - b);
    return {
      requests: timings.length,
      failures: failures.length,
      failureSamples: failures.slice(0, FAILURE_SAMPLES),
      p50: percentile(sorted, 50) ?? null,
      p99: percentile(sorted, 99) ?? null,
      worst: sorted.at(-1) ?? null,
    };
  });
  exitOnStop();
}

main();
