import { defineConfig } from "vitest/config";

// Tests run against each package's TypeScript source through the `@session-ledger/source`
// export condition, so no build is needed first.
const project = (name: string, root: string) => ({
  resolve: { conditions: ["@session-ledger/source"] },
  ssr: { resolve: { conditions: ["@session-ledger/source"] } },
  test: {
    name,
    root,
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

export default defineConfig({
  test: {
    projects: [
      project("core", "packages/core"),
      project("sqlite", "packages/adapter-sqlite"),
      project("mongo", "packages/adapter-mongo"),
      project("express", "packages/express-middleware"),
      project("cross", "test"),
    ],
  },
});
