/**
 * Bundles `library-entry.mjs` (the packages' TypeScript source and the pure-JS packages they
 * import) into one ESM file with tsup, and loads it. Native and large runtime modules (the
 * bench's own dependencies) stay external and resolve at run time from the bench workspace's
 * node_modules, where the bundle is written.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "bench", "node_modules");
const outDir = join(modules, ".cache", "session-ledger-bench");
export const bundlePath = join(outDir, "library.mjs");

/**
 * Packages resolved at run time from the bench's node_modules: its own dependencies but the
 * ones compiled in. Every other bare import (what the packages' sources import: date-fns, the
 * http package's cookie, …) is compiled into the bundle from the importing package's own
 * node_modules, so a dependency added to a package needs no entry in the bench's package.json.
 */
const COMPILED_IN = /^(@session-ledger\/|kysely$|nanoid$|csv-stringify$)/;
const RUNTIME_PACKAGES = Object.keys(
  JSON.parse(readFileSync(join(root, "bench", "package.json"), "utf8")).dependencies,
).filter((name) => !COMPILED_IN.test(name));
const escapeName = (name) => name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const RUNTIME_NAMES = `(${RUNTIME_PACKAGES.map(escapeName).join("|")})(/|$)`;
const RUNTIME = new RegExp(`^${RUNTIME_NAMES}`);
/** Every other bare import but node's own modules. */
const COMPILED = new RegExp(`^(?!${RUNTIME_NAMES}|node:)[^./]`);

/** Builds the bundle from the current source (about a second). */
export async function buildLibrary() {
  const { build } = await import("tsup");
  mkdirSync(outDir, { recursive: true });
  await build({
    entry: { library: join(root, "bench", "library-entry.mjs") },
    outDir,
    format: ["esm"],
    platform: "node",
    target: "node20",
    config: false,
    silent: true,
    dts: false,
    sourcemap: false,
    clean: false,
    outExtension: () => ({ js: ".mjs" }),
    noExternal: [COMPILED],
    external: [RUNTIME],
    esbuildOptions(options) {
      options.conditions = ["@session-ledger/source"];
      options.nodePaths = [modules];
    },
  });
}

/**
 * The bundled library; child processes load what the parent built. `BENCH_LIBRARY_BUNDLE`
 * names another bundle of the same exports instead: a candidate fix built elsewhere, measured
 * by the same benchmarks.
 */
export async function loadLibrary() {
  const other = process.env.BENCH_LIBRARY_BUNDLE;
  if (other) return import(pathToFileURL(other).href);
  if (!existsSync(bundlePath)) await buildLibrary();
  return import(pathToFileURL(bundlePath).href);
}
