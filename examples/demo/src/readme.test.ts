/**
 * Every curl command the READMEs show against the demo, and those its banner prints, run as a
 * reader pastes them (by `sh`, with the real curl and the `$(node -p …)` dates of now) against
 * the demo app listening on a free port: each must answer 2xx with a body, and a JSON body must
 * hold lists, none of them empty.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemo, type Demo } from "./app.mjs";
import { FRAMEWORKS } from "./frameworks.mjs";

const run = promisify(execFile);

/** The installed version of a framework, for the test's title. */
function versionOf(name: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  while (
    !existsSync(join(dir, "package.json")) ||
    readJson(join(dir, "package.json")).name !== name
  ) {
    dir = dirname(dir);
  }
  return readJson(join(dir, "package.json")).version;
}
const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const READMES = ["README.md", "examples/demo/README.md"];
const DEMO_URL = "http://127.0.0.1:3000";

/**
 * The commands of a README's `sh` blocks that call the demo: a command is a run of lines
 * without comments or blank lines (a variable set on one line may be used on the next), with
 * backslash-continued lines joined.
 */
function demoCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const [, block] of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let command: string[] = [];
    for (const line of [...block!.replace(/\\\n\s*/g, " ").split("\n"), ""]) {
      if (line.trim() !== "" && !line.trim().startsWith("#")) command.push(line);
      else if (command.length > 0) {
        commands.push(command.join("\n"));
        command = [];
      }
    }
  }
  return commands.filter((command) => command.includes("curl ") && command.includes(DEMO_URL));
}

/** The outermost arrays of a JSON value: the lists an answer holds. */
function lists(value: unknown): unknown[][] {
  if (Array.isArray(value)) return [value];
  if (value === null || typeof value !== "object") return [];
  return Object.values(value).flatMap(lists);
}

const commands = READMES.flatMap((file) =>
  demoCommands(readFileSync(join(ROOT, file), "utf8")).map((command) => [file, command] as const),
);

// `pnpm demo --framework X`: the same requests answered on every framework the demo runs on.
describe.each(FRAMEWORKS.map((name) => [`${name} ${versionOf(name)}`, name] as const))(
  "the demo on %s",
  (_title, framework) => {
    let dir: string;
    let demo: Demo;
    let server: Server;
    let base: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "session-ledger-demo-readme-"));
      // The real clock: the commands compute their dates from the time they run at.
      demo = await createDemo({
        dbPath: join(dir, "demo.db"),
        sessions: 20_000,
        stepEveryMs: 0,
        framework,
      });
      server = createServer(demo.app).listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      await demo.close();
      rmSync(dir, { recursive: true, force: true });
    });

    describe("the READMEs' curl commands against the demo", () => {
      it("should find the root README's request of every dialect", () => {
        const paths = commands.map(([, command]) => command);
        for (const path of [
          "/api/shared_spaces/1001/sessions",
          "/api/v1/orgs/space-1001/principals/220001/sessions",
          "/graphql",
          "/core.v1.SessionsService/ListSessionsV2",
          "/node/api/users/session/log",
        ]) {
          expect(paths.some((command) => command.includes(path))).toBe(true);
        }
      });

      it.each(commands)("%s: %s", async (_file, command) => {
        await expectAnswer(command.replaceAll(DEMO_URL, base));
      });
    });

    describe("the banner's curl commands", () => {
      it("should each get an answer, the ones naming no placeholder", async () => {
        const printed = demo
          .describe(base)
          .split("\n")
          .map((line) => line.trim())
          .filter((line) => line.startsWith("curl ") && !/<[a-z ]+>/.test(line));
        expect(printed.length).toBeGreaterThanOrEqual(7);
        // The export is written to a file by `-o`; here it comes to stdout like the rest.
        for (const command of printed) await expectAnswer(command.replace(" -o sessions.csv", ""));
      });
    });
  },
);

/**
 * Runs a command as `sh` would from a reader's terminal, and requires a 2xx answer with a body;
 * a JSON body must hold lists, none of them empty.
 */
async function expectAnswer(command: string) {
  // The status goes on a line of its own after the body.
  const script = command.replace(/\bcurl /g, `curl -w '\\n%{http_code}' `);
  const { stdout } = await run("sh", ["-c", script], {
    env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` },
  });
  const lines = stdout.trimEnd().split("\n");
  const status = Number(lines.pop());
  const body = lines.join("\n");
  expect(status, `${command}\n${body}`).toBeGreaterThanOrEqual(200);
  expect(status, `${command}\n${body}`).toBeLessThan(300);
  expect(body.trim(), command).not.toBe("");
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return; // CSV and other text: a body is enough.
  }
  expect(json, body).not.toHaveProperty("errors"); // GraphQL's errors come with a 200
  const found = lists(json);
  expect(found.length, `${command}\n${body}`).toBeGreaterThan(0);
  for (const list of found) expect(list.length, `${command}\n${body}`).toBeGreaterThan(0);
}
