import { mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "tsup";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Bundles a child-process script of the tests from TypeScript source, the workspace packages
 * and `pg` included, into one .mjs under this package's node_modules, so it runs on plain node
 * without a prior build and never on a stale dist/. Returns the bundle's path.
 */
export async function bundleWorker(entry: string): Promise<string> {
  const name = basename(entry).replace(/\.ts$/, "");
  const outDir = join(here, "..", "node_modules", ".cache", "postgres-test-workers");
  mkdirSync(outDir, { recursive: true });
  await build({
    entry: { [name]: entry },
    outDir,
    outExtension: () => ({ js: ".mjs" }),
    format: ["esm"],
    platform: "node",
    target: "node20",
    config: false,
    silent: true,
    dts: false,
    sourcemap: false,
    clean: false,
    // pg's optional native binding is loaded lazily and never used.
    external: ["pg-native"],
    noExternal: [/^(?!pg-native$)/],
    esbuildOptions(options) {
      options.conditions = ["@session-ledger/source"];
      // pg is CommonJS: give the ESM bundle a `require` for its built-in modules.
      options.banner = {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      };
    },
  });
  return join(outDir, `${name}.mjs`);
}
