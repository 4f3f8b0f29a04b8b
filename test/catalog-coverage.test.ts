/**
 * A field added to the core's catalog is a compile error in every store until the store maps
 * it: each store's column (or path) map is typed `Record<FieldName, …>`. This test adds a field
 * to a scratch copy of the sources and type-checks the copy.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { typeCheck } from "./type-check.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Each package the check needs, and whether a store's map must name the new field. */
const PACKAGES = [
  { dir: "packages/core", name: "@session-ledger/core", store: false },
  { dir: "packages/sql", name: "@session-ledger/sql", store: true },
  // The SQL stores share the sql package's column map.
  { dir: "packages/adapter-sqlite", name: "@session-ledger/sqlite", store: false },
  { dir: "packages/adapter-postgres", name: "@session-ledger/postgres", store: false },
  { dir: "packages/adapter-mongo", name: "@session-ledger/mongo", store: true },
] as const;
const NEW_FIELD = "risk_score";

// Copies live inside each package (under its node_modules), so the copy of a package resolves
// its own dependencies (kysely, mongodb) exactly as the original does.
const scratch = (dir: string) => join(root, dir, "node_modules", ".cache", "catalog-scratch");
afterAll(() => {
  for (const { dir } of PACKAGES) rmSync(scratch(dir), { recursive: true, force: true });
});

function typeCheckWithNewField(): string {
  for (const { dir } of PACKAGES) {
    rmSync(scratch(dir), { recursive: true, force: true });
    mkdirSync(scratch(dir), { recursive: true });
    cpSync(join(root, dir, "src"), join(scratch(dir), "src"), { recursive: true });
  }
  const fields = join(scratch("packages/core"), "src", "query", "fields.ts");
  const catalog = readFileSync(fields, "utf8");
  const anchor = "export const FIELDS = [";
  expect(catalog).toContain(anchor);
  writeFileSync(
    fields,
    catalog.replace(
      anchor,
      `${anchor}\n  defineField("${NEW_FIELD}", { type: "text", nullable: true, read: () => null }),`,
    ),
  );
  const paths: Record<string, string[]> = {};
  for (const { dir, name } of PACKAGES) {
    paths[name] = [join(scratch(dir), "src", "index.ts")];
  }
  paths["@session-ledger/core/store"] = [join(scratch("packages/core"), "src", "store.ts")];
  return typeCheck({
    configDir: scratch("packages/core"),
    files: PACKAGES.map(({ dir }) => join(scratch(dir), "src", "index.ts")),
    paths,
  });
}

describe("the field catalog", () => {
  it(`a new field is a type error in each store's map until it is mapped (${NEW_FIELD})`, () => {
    const output = typeCheckWithNewField();
    const errors = output.split("\n").filter((line) => line.includes("error TS"));
    // tsc names files relative to the directory it runs in, the repository's root.
    const at = (dir: string) => relative(root, scratch(dir));
    for (const { dir } of PACKAGES.filter((p) => p.store)) {
      const inStore = errors.filter((line) => line.includes(at(dir)));
      expect(inStore.join("\n"), `${dir} should fail to type-check`).toContain(NEW_FIELD);
    }
    // Nothing else breaks: the core itself takes a new field without a change.
    const elsewhere = errors.filter(
      (line) => !PACKAGES.some(({ dir, store }) => store && line.includes(at(dir))),
    );
    expect(elsewhere).toEqual([]);
  }, 120_000);
});
