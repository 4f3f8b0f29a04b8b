/**
 * The workspace packages the demo runs on (its `@session-ledger/*` dependencies and theirs) are
 * loaded from their `dist/`. This rebuilds the ones whose `dist/` is missing or older than
 * their sources, and only those, so a start after a change takes one package's build and a
 * start after none takes no build at all.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const DEMO_DIR = fileURLToPath(new URL("..", import.meta.url));
const ROOT = join(DEMO_DIR, "..", "..");
/** Files besides `src/` that change what a build writes. */
const BUILD_INPUTS = ["package.json", "tsup.config.ts", "tsconfig.json"];

/**
 * @typedef {object} Manifest
 * @property {string} name
 * @property {Record<string, string>} [scripts]
 * @property {Record<string, string>} [dependencies]
 * @property {Record<string, string>} [peerDependencies]
 * @property {unknown} [exports]
 */

/** @param {string} dir */
const manifestOf = (dir) =>
  /** @type {Manifest} */ (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")));

/**
 * The folders of the workspace packages `dir` depends on, directly or not.
 * @param {string} dir
 * @param {Map<string, string>} [found] package name → folder
 */
function workspaceDependencies(dir, found = new Map()) {
  const { dependencies = {}, peerDependencies = {} } = manifestOf(dir);
  for (const [name, range] of Object.entries({ ...dependencies, ...peerDependencies })) {
    const link = join(dir, "node_modules", name);
    if (!range.startsWith("workspace:") || found.has(name) || !existsSync(link)) continue;
    found.set(name, realpathSync(link));
    workspaceDependencies(realpathSync(link), found);
  }
  return found;
}

/**
 * Every file an `exports` map points into `dist/` (the TypeScript source condition aside).
 * @param {unknown} exports
 * @returns {string[]}
 */
function builtFiles(exports) {
  if (typeof exports === "string") return exports.startsWith("./dist/") ? [exports] : [];
  if (exports === null || typeof exports !== "object") return [];
  return Object.values(exports).flatMap(builtFiles);
}

/**
 * The newest modification time of a folder's files, tests aside.
 * @param {string} dir
 * @returns {number}
 */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!/\.test\.[cm]?[jt]s$/.test(entry.name))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * True when the package has a build and some file of its `dist/` is missing or older than a
 * source file.
 * @param {string} dir
 */
function isStale(dir) {
  const manifest = manifestOf(dir);
  const outputs = builtFiles(manifest.exports).map((file) => join(dir, file));
  if (!manifest.scripts?.build || outputs.length === 0) return false;
  if (outputs.some((file) => !existsSync(file))) return true;
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  const inputs = BUILD_INPUTS.map((file) => join(dir, file)).filter((file) => existsSync(file));
  // The console's page is built from app/ as well.
  const app = join(dir, "app");
  const changed = Math.max(
    newestSource(join(dir, "src")),
    existsSync(app) ? newestSource(app) : 0,
    ...inputs.map((f) => statSync(f).mtimeMs),
  );
  return changed > built;
}

/** The names of the packages the demo runs on whose `dist/` is not current. */
export function stalePackages() {
  return [...workspaceDependencies(DEMO_DIR)]
    .filter(([, dir]) => isStale(dir))
    .map(([name]) => name);
}

/**
 * How to run pnpm: under `pnpm …`, npm_execpath is the pnpm running us (a script Node runs);
 * started by hand, the `pnpm` on PATH.
 * @returns {[command: string, args: string[]]}
 */
export function pnpmCommand() {
  const pnpm = process.env.npm_execpath;
  return pnpm?.match(/\.[cm]?js$/) ? [process.execPath, [pnpm]] : [pnpm || "pnpm", []];
}

/**
 * Builds the stale packages with their own `build` scripts (pnpm builds them in dependency
 * order).
 * @param {(line: string) => void} log
 * @throws Error when a build fails
 */
export function buildStalePackages(log) {
  const stale = stalePackages();
  if (stale.length === 0) return;
  log(`building ${stale.join(", ")} (dist/ missing or older than the sources)…`);
  const started = Date.now();
  const [command, args] = pnpmCommand();
  const filters = stale.flatMap((name) => ["--filter", name]);
  const result = spawnSync(command, [...args, ...filters, "run", "build"], {
    cwd: ROOT,
    stdio: "inherit",
    shell: process.platform === "win32",
  });
  if (result.status !== 0) {
    throw new Error(`the build failed (${result.error?.message ?? `exit code ${result.status}`})`);
  }
  log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
