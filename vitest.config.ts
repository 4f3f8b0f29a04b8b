import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests run against each package's TypeScript source, so no build is needed first. (The
// `@session-ledger/source` export condition does the same for tsc; Vitest hands symlinked
// workspace packages to Node's resolver, which would load the built dist/ instead.)
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const alias = [
  {
    find: /^@session-ledger\/core\/testing$/,
    replacement: source("packages/core/src/testing/index.ts"),
  },
  { find: /^@session-ledger\/core\/store$/, replacement: source("packages/core/src/store.ts") },
  { find: /^@session-ledger\/core$/, replacement: source("packages/core/src/index.ts") },
  { find: /^@session-ledger\/sql$/, replacement: source("packages/sql/src/index.ts") },
  {
    find: /^@session-ledger\/sqlite$/,
    replacement: source("packages/adapter-sqlite/src/index.ts"),
  },
  {
    find: /^@session-ledger\/postgres$/,
    replacement: source("packages/adapter-postgres/src/index.ts"),
  },
  { find: /^@session-ledger\/mongo$/, replacement: source("packages/adapter-mongo/src/index.ts") },
  {
    find: /^@session-ledger\/express$/,
    replacement: source("packages/express-middleware/src/index.ts"),
  },
  {
    find: /^@session-ledger\/http\/(express|fastify|hono|koa|next)$/,
    replacement: source("packages/http/src/adapters/$1.ts"),
  },
  { find: /^@session-ledger\/http$/, replacement: source("packages/http/src/index.ts") },
  { find: /^@session-ledger\/fixtures$/, replacement: source("fixtures/src/sessions.mjs") },
  {
    find: /^@session-ledger\/console\/express$/,
    replacement: source("packages/console/src/express.ts"),
  },
  { find: /^@session-ledger\/console$/, replacement: source("packages/console/src/index.ts") },
];

const project = (name: string, root: string, options: { globalSetup?: string } = {}) => ({
  extends: true,
  test: {
    name,
    root,
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    ...options,
  },
});

export default defineConfig({
  resolve: { alias },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // graphql 16 ships CJS (`main`) and ESM (`module`). Vite hands our sources the ESM build,
    // while Node, loading graphql-http natively, gives it the CJS one: two graphql realms,
    // which graphql refuses to mix. Transforming graphql-http through Vite gives it ours.
    // (Built packages run under Node alone and load one build, so this concerns tests only.)
    server: { deps: { inline: ["graphql-http"] } },
    projects: [
      project("core", "packages/core"),
      project("sqlite", "packages/adapter-sqlite"),
      // A real PostgreSQL server: POSTGRES_URL, or a throwaway cluster the setup starts.
      project("postgres", "packages/adapter-postgres", {
        globalSetup: "./test/global-setup.ts",
      }),
      project("mongo", "packages/adapter-mongo"),
      project("http", "packages/http"),
      // The console page in Chromium (Debian's, driven by playwright-core); builds the page first.
      project("console", "packages/console", { globalSetup: "./test/global-setup.mjs" }),
      // The demo serves the console page, so it is built first here too.
      project("demo", "examples/demo", {
        globalSetup: "../../packages/console/test/global-setup.mjs",
      }),
      project("cross", "test"),
    ],
  },
});
