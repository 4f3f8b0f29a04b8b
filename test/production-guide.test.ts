/**
 * docs/production.md is one program, split into code blocks: this test puts the blocks together
 * in order, type-checks the program against the packages' sources, and runs it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { typeCheck } from "./type-check.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const generated = join(here, ".generated");
const program = join(generated, "production-guide.ts");
const data = mkdtempSync(join(tmpdir(), "session-ledger-guide-"));
afterAll(() => {
  rmSync(data, { recursive: true, force: true });
  rmSync(generated, { recursive: true, force: true });
});

function writeProgram(): number {
  const guide = readFileSync(join(root, "docs", "production.md"), "utf8");
  const blocks = [...guide.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
  const languages = new Set(blocks.map((block) => block[1]));
  // Every block is code the test runs: none is left out for being in another language.
  expect([...languages]).toEqual(["ts"]);
  mkdirSync(generated, { recursive: true });
  writeFileSync(program, blocks.map((block) => block[2]).join("\n"));
  return blocks.length;
}

describe("docs/production.md", () => {
  it("is one program that type-checks and runs", async () => {
    expect(writeProgram()).toBeGreaterThanOrEqual(5);

    const output = typeCheck({
      configDir: generated,
      // The program reads the packages' sources; the http package's ambient types for ua-parser-js too.
      files: [program, join(root, "packages/http/src/tracking/ua-parser-js.d.ts")],
    });
    expect(output, "the guide's program should type-check").toBe("");

    const file = join(data, "sessions.db");
    process.env.SESSIONS_DB = file;
    process.env.PORT = "0";
    // Without its secrets the program stops at once, naming the one missing.
    delete process.env.SESSION_LEDGER_CURSOR_SECRET;
    delete process.env.AUDIT_API_KEY;
    await expect(import(`${program}?without-secrets`)).rejects.toThrow(
      "set the SESSION_LEDGER_CURSOR_SECRET environment variable",
    );
    process.env.SESSION_LEDGER_CURSOR_SECRET = "a-cursor-secret-of-the-guide-0123456789";
    await expect(import(`${program}?without-api-key`)).rejects.toThrow(
      "set the AUDIT_API_KEY environment variable",
    );
    process.env.AUDIT_API_KEY = "an-audit-key-of-the-guide-0123";
    await import(program);
    // What the program stored stays in the file it was pointed at.
    const database = new Database(file, { readonly: true });
    const stored = database
      .prepare("SELECT policy FROM session_ledger_policies WHERE tenant_id = 'acme'")
      .pluck()
      .get() as string;
    database.close();
    expect(JSON.parse(stored)).toMatchObject({ maxSessionsPerUser: 3, idleTimeoutMs: 900_000 });
  }, 120_000);
});
