#!/usr/bin/env node
/**
 * A host application built from the packed tarballs, as a user would: the README's install
 * lines run exactly as written (between its `<!-- install -->` markers, from an application
 * directory beside a `session-ledger` clone whose `pnpm pack:all` filled `packed/`), a strict
 * TypeScript config (`skipLibCheck: false`), the README's "In twenty lines" example (run) and
 * "Wiring" example (type-checked), and an Express app with login tracking and an admin router. It must install, type-check and run.
 * Needs a prior `pnpm build`. `pnpm check` runs it.
 *
 *   node scripts/packed-host.mjs [--keep]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { packAll } from "./pack-all.mjs";

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

/** The commands of the README's install block: the lines between its markers, as written. */
function installCommands(text = readme) {
  const match = /<!-- install -->\s*```sh\n([\s\S]*?)```\s*<!-- \/install -->/.exec(text);
  if (!match)
    throw new Error("README has no ```sh block between <!-- install --> and <!-- /install -->");
  const commands = match[1]
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  if (!commands.some((line) => line.startsWith("npm install "))) {
    throw new Error("README's install block holds no npm install line");
  }
  return commands;
}

const run = (command, args, cwd, env = process.env) =>
  execFileSync(command, args, { cwd, env, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });

const dir = mkdtempSync(join(tmpdir(), "session-ledger-host-"));
try {
  // 1. The tarballs, packed as `pnpm pack:all` packs them, where the README expects them: in
  //    `packed/` of a `session-ledger` clone beside the application.
  const packed = packAll(join(dir, "session-ledger", "packed"));

  // 2. The host: an empty ES module app, then exactly the README's install lines.
  const host = join(dir, "my-app");
  mkdirSync(join(host, "src"), { recursive: true });
  writeFileSync(
    join(host, "package.json"),
    JSON.stringify({ name: "my-app", private: true, type: "module" }, null, 2),
  );
  // Quiet and cache-first; neither changes what the lines install.
  const npmEnv = {
    ...process.env,
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_prefer_offline: "true",
    npm_config_update_notifier: "false",
  };
  const commands = installCommands();
  for (const command of commands) run("sh", ["-c", command], host, npmEnv);
  const installed = JSON.parse(readFileSync(join(host, "package.json"), "utf8"));
  const ours = Object.keys(installed.dependencies ?? {}).filter((name) => name in packed);
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
  // The Wiring section's example type-checks against the packages (it is not run: it serves).
  writeFileSync(
    join(host, "src", "wiring.ts"),
    `import { createMemoryStore, createSessionLedger, createTaskRunner } from "@session-ledger/core";
import {
  apiKeyAuthenticator,
  createLogScaleRouter,
  createOctaneRouter,
  sessionTracking,
} from "@session-ledger/express";
import express from "express";

const store = createMemoryStore();
const ledger = createSessionLedger({ store });
const taskRunner = createTaskRunner({ ledger, store });
const authenticate = apiKeyAuthenticator({ keys: {} });
${blockAfter("Wiring", "ts")}
export { app };
`,
  );
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
const ledger = createSessionLedger({ store, cursorSecret: "packed-host-cursor-secret-0123456789abcdef" });
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
  keys: { "packed-host-admin-key-0123456789abcdef": { id: "admin", tenants: "*", permissions: ["sessions:read"] } },
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
    headers: { "x-api-key": "packed-host-admin-key-0123456789abcdef" },
  })
).json()) as { total_count?: number };
console.log(JSON.stringify({ me, total: listed.total_count ?? listed }));
server.close();
await store.close();
`,
  );
  // 3. It type-checks, strictly and with the packages' own declarations checked too.
  run(join(host, "node_modules", ".bin", "tsc"), ["-p", "."], host);

  // 4. It runs.
  const twenty = run("node", ["dist/twenty-lines.js"], host);
  if (!/^REVOKED$/m.test(twenty)) throw new Error(`"In twenty lines" printed:\n${twenty}`);
  const served = JSON.parse(run("node", ["dist/express-app.js"], host).trim());
  if (served.me?.user !== "alice" || served.total !== 1) {
    throw new Error(`the Express app answered ${JSON.stringify(served)}`);
  }
  console.log(
    `packed host app: ${ours.join(", ")} installed from their tarballs by the README's install lines, run as written; strict tsc clean; "In twenty lines" and the Express app ran`,
  );
} finally {
  if (keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
