/**
 * Bundles `library-entry.mjs` (the packages' TypeScript source, kysely, nanoid, csv-stringify,
 * pg) into one ESM file with tsup, and loads it. Native and large runtime modules stay external
 * and resolve at run time from the express package's node_modules, where the bundle is written:
 * the bench is not a workspace package, so that is where pnpm put better-sqlite3 and express.
 * pg lives in the PostgreSQL store's node_modules, so it is bundled (without its optional
 * native and Cloudflare bindings, which Node never loads).
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "packages", "express-middleware", "node_modules");
const outDir = join(modules, ".cache", "session-ledger-bench");
export const bundlePath = join(outDir, "library.mjs");

/** Bare imports compiled into the bundle; every other package is resolved at run time. */
const BUNDLED =
  /^(@session-ledger\/|kysely|nanoid|csv-stringify|pg(?!-native|-cloudflare)|postgres-|split2|xtend)/;
const RUNTIME =
  /^(?!@session-ledger\/|kysely|nanoid|csv-stringify|pg(?!-native|-cloudflare)|postgres-|split2|xtend|\.|\/)/;

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
      // nanoid is the core's dependency; the bench reuses it for the hand-written ids.
      options.nodePaths = [
        modules,
        join(root, "packages", "core", "node_modules"),
        join(root, "packages", "adapter-postgres", "node_modules"),
      ];
      // pg is CommonJS: give the ESM bundle a `require` for Node's built-in modules.
      options.banner = {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      };
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
