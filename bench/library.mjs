/**
 * Bundles `library-entry.mjs` (the packages' TypeScript source, kysely, nanoid, csv-stringify)
 * into one ESM file with tsup, and loads it. Native and large runtime modules stay external and
 * resolve at run time from the bench workspace's own node_modules, where the bundle is written
 * (the bench depends on what the bundled sources import: the express package's dependencies).
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "bench", "node_modules");
const outDir = join(modules, ".cache", "session-ledger-bench");
export const bundlePath = join(outDir, "library.mjs");

/** Bare imports compiled into the bundle; every other package is resolved at run time. */
// date-fns (core's time zones) is bundled too: pure ESM, and the bench need not list it.
const BUNDLED = /^(@session-ledger\/|kysely|nanoid|csv-stringify|@date-fns\/|date-fns)/;
const RUNTIME = /^(?!@session-ledger\/|kysely|nanoid|csv-stringify|@date-fns\/|date-fns|\.|\/)/;

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
    noExternal: [BUNDLED],
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
