import { mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "tsup";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Bundles a test's child-process script from the TypeScript source (core included) into one
 * .mjs under the package's node_modules, so it runs on plain node without a prior
 * `pnpm build` and never on a stale dist. better-sqlite3 stays external: it is a native module.
 * Returns the bundle's path.
 */
export async function bundleScript(entry: string, name: string): Promise<string> {
  const outDir = join(here, "..", "node_modules", ".cache", name);
  mkdirSync(outDir, { recursive: true });
  const output = basename(entry).replace(/\.ts$/, "");
  await build({
    entry: { [output]: entry },
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
    external: ["better-sqlite3"],
    noExternal: [/^(?!better-sqlite3)/],
    esbuildOptions(options) {
      options.conditions = ["@session-ledger/source"];
    },
  });
  return join(outDir, `${output}.mjs`);
}
