#!/usr/bin/env node
/**
 * A host application built from the packed tarballs, as a user would: only the README's install
 * lines, a strict TypeScript config (`skipLibCheck: false`), the README's "In twenty lines"
 * example, and an Express app with login tracking and an admin router. It must type-check and
 * run. Needs a prior `pnpm build`. `pnpm check` runs it.
 *
 *   node scripts/packed-host.mjs [--keep]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const keep = process.argv.includes("--keep");

/** The first fenced block of a language after a heading. */
function blockAfter(heading, language) {
  const at = readme.indexOf(`\n## ${heading}\n`);
  if (at < 0) throw new Error(`README has no "## ${heading}" section`);
  const match = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(readme.slice(at));
  if (!match) throw new Error(`README's "${heading}" section has no ${language} block`);
  return match[1];
}

/** The packages of the README's install lines: `{ dependencies, devDependencies }`. */
function installLines() {
  const wanted = { dependencies: [], devDependencies: [] };
  for (const line of blockAfter("Install", "sh").split("\n")) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== "npm" || words[1] !== "install") continue;
    const dev = words.includes("--save-dev") || words.includes("-D");
    const names = words.slice(2).filter((word) => !word.startsWith("-"));
    wanted[dev ? "devDependencies" : "dependencies"].push(...names);
  }
  return wanted;
}

/** The version the workspace's catalog pins for a third-party package. */
function catalogVersion(name) {
  const workspace = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8");
  const match = new RegExp(`^\\s+"?${name.replace("/", "\\/")}"?:\\s*(\\S+)$`, "m").exec(workspace);
  if (!match) throw new Error(`no catalog version for ${name}`);
  return match[1];
}

const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });

const dir = mkdtempSync(join(tmpdir(), "session-ledger-host-"));
try {
  // 1. The tarballs, packed as `npm publish` would (workspace ranges become versions).
  const tarballs = join(dir, "tarballs");
  mkdirSync(tarballs);
  run("pnpm", ["-r", "--filter", "./packages/**", "pack", "--pack-destination", tarballs], root);
  const packed = Object.fromEntries(
    readdirSync(tarballs).map((file) => {
      const name = JSON.parse(
        run("tar", ["-xzOf", join(tarballs, file), "package/package.json"], root),
      ).name;
      return [name, `file:${join(tarballs, file)}`];
    }),
  );

  // 2. The host: exactly the README's install lines, ours from the tarballs.
  const host = join(dir, "host");
  mkdirSync(join(host, "src"), { recursive: true });
  const { dependencies, devDependencies } = installLines();
  const version = (name) => packed[name] ?? catalogVersion(name);
  writeFileSync(
    join(host, "package.json"),
    JSON.stringify(
      {
        name: "host-app",
        private: true,
        type: "module",
        dependencies: Object.fromEntries(dependencies.map((name) => [name, version(name)])),
        devDependencies: Object.fromEntries(devDependencies.map((name) => [name, version(name)])),
        // The packages' own dependencies on each other resolve to the tarballs too.
        pnpm: { overrides: packed, onlyBuiltDependencies: ["better-sqlite3", "esbuild"] },
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(host, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        skipLibCheck: false,
        outDir: "dist",
        types: ["node"],
      },
      include: ["src"],
    }),
  );
  writeFileSync(join(host, "src", "twenty-lines.ts"), blockAfter("In twenty lines", "ts"));
  writeFileSync(
    join(host, "src", "express-app.ts"),
    `import { createSessionLedger, createTaskRunner } from "@session-ledger/core";
import {
  apiKeyAuthenticator,
  createOctaneRouter,
  issueSession,
  sessionTracking,
} from "@session-ledger/express";
import { createSqliteStore } from "@session-ledger/sqlite";
import Database from "better-sqlite3";
import express from "express";

const database = new Database(":memory:");
const store = createSqliteStore({ database });
await store.migrate();
const ledger = createSessionLedger({ store, cursorSecret: "packed-host-cursor-secret-0123456789" });
const taskRunner = createTaskRunner({ ledger, store });

const app = express();
app.post("/login", async (req, res) => {
  const { token } = await issueSession(req, res, { ledger, user: { id: "u1", login: "alice" } });
  res.json({ token });
});
app.get("/me", sessionTracking({ ledger, required: true }), (req, res) => {
  res.json({ user: req.sessionLedger?.session.user.login });
});
const authenticate = apiKeyAuthenticator({
  keys: { "packed-host-admin-key": { id: "admin", tenants: "*", permissions: ["sessions:read"] } },
});
app.use(createOctaneRouter({ ledger, taskRunner, authenticate }));

const server = app.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const base = \`http://127.0.0.1:\${(server.address() as { port: number }).port}\`;
const { token } = (await (await fetch(\`\${base}/login\`, { method: "POST" })).json()) as {
  token: string;
};
const me = await (await fetch(\`\${base}/me\`, { headers: { authorization: \`Bearer \${token}\` } })).json();
// Octane asks for a creation range of at most 30 days: the last day.
const since = new Date(Date.now() - 86_400_000).toISOString();
const query = encodeURIComponent(\`"creation_time>^\${since}^"\`);
const listed = (await (
  await fetch(\`\${base}/api/shared_spaces/default/sessions?query=\${query}\`, {
    headers: { "x-api-key": "packed-host-admin-key" },
  })
).json()) as { total_count?: number };
console.log(JSON.stringify({ me, total: listed.total_count ?? listed }));
server.close();
await store.close();
`,
  );
  run("pnpm", ["install", "--prefer-offline", "--config.confirmModulesPurge=false"], host);

  // 3. It type-checks, strictly and with the packages' own declarations checked too.
  run(join(host, "node_modules", ".bin", "tsc"), ["-p", "."], host);

  // 4. It runs.
  const twenty = run("node", ["dist/twenty-lines.js"], host);
  if (!/^REVOKED$/m.test(twenty)) throw new Error(`"In twenty lines" printed:\n${twenty}`);
  const served = JSON.parse(run("node", ["dist/express-app.js"], host).trim());
  if (served.me?.user !== "alice" || served.total !== 1) {
    throw new Error(`the Express app answered ${JSON.stringify(served)}`);
  }
  const ours = dependencies.filter((name) => packed[name] !== undefined);
  console.log(
    `packed host app: ${ours.join(", ")} installed from their tarballs with the README's install lines; strict tsc clean; "In twenty lines" and the Express app ran`,
  );
} finally {
  if (keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
