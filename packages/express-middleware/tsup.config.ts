import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  // tsc --build owns the composite project; the bundled declarations are a plain emit.
  dts: { compilerOptions: { composite: false, incremental: false } },
  clean: true,
  sourcemap: true,
  target: "node20",
  // The adapter is a dependency, not bundled: one copy of the routes per host.
  external: [/^@session-ledger\//],
});
