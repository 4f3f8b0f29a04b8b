/**
 * `pnpm demo` as a user types it, from the repository's root: the port given after `--`, as an
 * option, or in PORT. Each run is a process group of its own, stopped (and waited for) whatever
 * the test's outcome.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildStalePackages, pnpmCommand } from "./build-stale.mjs";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "session-ledger-demo-start-"));
const running: ChildProcess[] = [];

// The demo runs on the packages' dist/: build what is stale once, here, rather than inside the
// first run's wait for its port.
beforeAll(() => buildStalePackages(() => {}), 300_000);
afterEach(async () => {
  await Promise.all(running.splice(0).map(stop));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `pnpm demo <args>` from the root, in a process group of its own. */
function pnpmDemo(args: string[], env: Record<string, string>): ChildProcess {
  const [command, prefix] = pnpmCommand();
  const { PORT: _, ...inherited } = process.env;
  const child = spawn(command, [...prefix, "demo", ...args], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  return child;
}

/** Resolves with the output up to the banner naming the demo's URL; rejects if it exits first. */
function banner(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const read = (chunk: Buffer) => {
      output += chunk;
      if (/session-ledger demo on http:\/\/127\.0\.0\.1:\d+/.test(output)) resolve(output);
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.on("exit", (code) => reject(new Error(`pnpm demo exited (${code}):\n${output}`)));
  });
}

/** Resolves with the exit code and everything printed once the process exits. */
function exit(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = "";
  const read = (chunk: Buffer) => {
    output += chunk;
  };
  child.stdout?.on("data", read);
  child.stderr?.on("data", read);
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output })));
}

/** Stops the whole group (pnpm, its shell, node) and waits for it to exit. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const group = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Gone already.
    }
  };
  group("SIGTERM");
  const killed = setTimeout(() => group("SIGKILL"), 5000);
  await exited;
  clearTimeout(killed);
}

describe("pnpm demo", () => {
  it.each([
    ["pnpm demo -- --port N", (port: number) => [["--", "--port", String(port)], {}] as const],
    ["pnpm demo --port N", (port: number) => [["--port", String(port)], {}] as const],
    ["PORT=N pnpm demo", (port: number) => [[], { PORT: String(port) }] as const],
  ])("should serve on the port given as in `%s`", async (_spelling, given) => {
    const port = await freePort();
    const [args, env] = given(port);
    const db = ["--db", join(dir, "demo.db"), "--sessions", "5000"];
    const child = pnpmDemo([...args, ...db], env);
    const output = await banner(child);
    expect(output).toContain(`session-ledger demo on http://127.0.0.1:${port}`);
    const res = await fetch(
      `http://127.0.0.1:${port}/api/shared_spaces/1001/sessions?query=${encodeURIComponent('"(end_time=null)"')}&limit=5`,
      { headers: { "X-API-KEY": "demo-admin-key-local" } },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { total_count: number };
    expect(body.total_count).toBeGreaterThan(0);
  });

  it("should take its keys from DEMO_API_KEY and DEMO_READONLY_KEY", async () => {
    const port = await freePort();
    const keys = {
      DEMO_API_KEY: "admin-key-from-env-01",
      DEMO_READONLY_KEY: "reader-key-from-env-0",
    };
    const db = ["--db", join(dir, "demo.db"), "--sessions", "5000"];
    const output = await banner(pnpmDemo(["--port", String(port), ...db], keys));
    expect(output).toContain(
      `admin key "${keys.DEMO_API_KEY}", read-only key "${keys.DEMO_READONLY_KEY}"`,
    );
    const open = encodeURIComponent('"(end_time=null)"');
    const list = (key: string) =>
      fetch(`http://127.0.0.1:${port}/api/shared_spaces/1001/sessions?query=${open}&limit=1`, {
        headers: { "X-API-KEY": key },
      });
    expect((await list(keys.DEMO_API_KEY)).status).toBe(200);
    expect((await list(keys.DEMO_READONLY_KEY)).status).toBe(200);
    expect((await list("demo-admin-key-local")).status).toBe(401);
    const terminate = await fetch(
      `http://127.0.0.1:${port}/api/shared_spaces/1001/sessions?query=${encodeURIComponent("\"id='x'\"")}`,
      {
        method: "PUT",
        headers: { "X-API-KEY": keys.DEMO_READONLY_KEY, "Content-Type": "application/json" },
        body: JSON.stringify({ data: [{ is_closed: true }] }),
      },
    );
    expect(terminate.status).toBe(403);
  });

  it("should refuse to start with a key shorter than 16 characters, saying so", async () => {
    const child = pnpmDemo(["--port", "0", "--db", join(dir, "demo.db")], {
      DEMO_API_KEY: "short",
    });
    const { code, output } = await exit(child);
    expect(code).not.toBe(0);
    expect(output).toContain("is 5 characters long, shorter than 16");
    expect(output).not.toContain("short'");
    expect(output).not.toMatch(/\n\s+at /);
  });

  it("should print the usage, not a stack trace, for an unknown option", async () => {
    const child = pnpmDemo(["--", "--prot", "3001"], {});
    const { code, output } = await exit(child);
    expect(code).not.toBe(0);
    expect(output).toContain("Unknown option '--prot'");
    expect(output).toContain("usage: pnpm demo");
    expect(output).not.toMatch(/\n\s+at /);
  });
});
