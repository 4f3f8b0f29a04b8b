/**
 * A throwaway PostgreSQL cluster for the tests and the benchmarks: `initdb` into a fresh
 * temporary directory, `pg_ctl start` on a free port of 127.0.0.1 (its socket in the same
 * directory), and `stop()` shuts it down and removes the directory. As root the server runs as
 * the `postgres` user (PostgreSQL refuses to run as root), otherwise as the current user.
 */
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ThrowawayCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  port: number;
  dir: string;
  /** `postgres --version` of the binaries that ran it. */
  version: string;
  /**
   * `pg_ctl restart -m immediate`: every backend is killed at once, without a checkpoint (as in
   * a crash), and the server recovers from its WAL. Resolves when it accepts connections again.
   */
  restartImmediately(): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Server settings (`-c name=value`), e.g. `{ fsync: "off" }` for tests. */
  settings?: Record<string, string>;
}

/** The directory of `initdb` and `pg_ctl`: `POSTGRES_BIN_DIR`, Debian's newest, or the PATH. */
export function findPostgresBin(): string | null {
  const configured = process.env.POSTGRES_BIN_DIR;
  if (configured) return existsSync(join(configured, "initdb")) ? configured : null;
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((name) => existsSync(join(debian, name, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(debian, versions[0], "bin");
  }
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
function postgresCommand(bin: string, program: string, args: string[]): [string, string[]] {
  const path = join(bin, program);
  return process.getuid?.() === 0
    ? ["runuser", ["-u", "postgres", "--", path, ...args]]
    : [path, args];
}

const quoteSetting = (value: string) => (/^[\w.:/-]+$/.test(value) ? value : `'${value}'`);

/**
 * Starts a cluster; throws with the server's log when it cannot. Tries three ports, since a
 * port found free can be taken before the server binds it.
 */
export async function startThrowawayCluster(
  options: ClusterOptions = {},
): Promise<ThrowawayCluster> {
  const bin = findPostgresBin();
  if (bin === null) {
    throw new Error(
      "no PostgreSQL server binaries (initdb, pg_ctl) found in POSTGRES_BIN_DIR, /usr/lib/postgresql/*/bin or on the PATH: install them (apt-get install postgresql) or set POSTGRES_URL to a server",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "session-ledger-pg-"));
  const data = join(dir, "data");
  try {
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
      const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
      chownSync(dir, uid, gid);
    }
    const [initdb, initArgs] = postgresCommand(bin, "initdb", [
      "-D",
      data,
      "-A",
      "trust",
      "-U",
      "postgres",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ]);
    await run(initdb, initArgs);
    const { stdout: version } = await run(...postgresCommand(bin, "postgres", ["--version"]));
    const settings = Object.entries(options.settings ?? {})
      .map(([name, value]) => ` -c ${name}=${quoteSetting(value)}`)
      .join("");
    /** `pg_ctl` on the cluster, waiting (up to 60 s) until the server is up. */
    const pgCtl = (...args: string[]) =>
      run(
        ...postgresCommand(bin, "pg_ctl", [
          "-D",
          data,
          "-l",
          join(dir, "server.log"),
          "-w",
          "-t",
          "60",
          ...args,
        ]),
      );
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      try {
        await pgCtl("-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${settings}`, "start");
      } catch (error) {
        lastError = error;
        continue;
      }
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        port,
        dir,
        version: version.trim(),
        async restartImmediately() {
          // Without -o, pg_ctl restarts with the options the server was started with.
          await pgCtl("-m", "immediate", "restart");
        },
        async stop() {
          await run(...postgresCommand(bin, "pg_ctl", ["-D", data, "stop", "-m", "fast"])).catch(
            () => undefined,
          );
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    const log = existsSync(join(dir, "server.log"))
      ? readFileSync(join(dir, "server.log"), "utf8")
      : "";
    throw new Error(`pg_ctl start failed: ${String(lastError)}\n${log}`);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
