import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts", "src/express.ts"],
  format: ["esm", "cjs"],
  // tsc --build owns the composite project; the bundled declarations are a plain emit.
  dts: { compilerOptions: { composite: false, incremental: false } },
  // `import.meta.url` finds the prebuilt page beside the code, in the CJS build too.
  shims: true,
  // `pnpm build` runs scripts/build-app.mjs after tsup, so its clean leaves dist/app alone.
  clean: true,
  sourcemap: true,
  target: "node20",
});
