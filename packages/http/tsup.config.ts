import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    express: "src/adapters/express.ts",
    fastify: "src/adapters/fastify.ts",
    hono: "src/adapters/hono.ts",
    koa: "src/adapters/koa.ts",
    next: "src/adapters/next.ts",
  },
  format: ["esm", "cjs"],
  // tsc --build owns the composite project; the bundled declarations are a plain emit.
  dts: { compilerOptions: { composite: false, incremental: false } },
  clean: true,
  sourcemap: true,
  target: "node20",
  // Each framework stays the host's own: never bundled, only imported by its adapter.
  external: ["express", "fastify", "hono", "koa", "next"],
});
