#!/usr/bin/env node
/**
 * Every published package, as npm would ship it: publint (the package.json and what it points
 * at) and attw (its types under node10, node16 from CJS and ESM, and bundlers, for every export
 * subpath). Needs a prior `pnpm build`. `pnpm check` runs it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { publishedPackages } from "./pack-all.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const packages = publishedPackages();

let failed = 0;
for (const dir of packages) {
  const { name } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  for (const [tool, args] of [
    ["publint", ["--strict"]],
    ["attw", ["--pack", ".", "--format", "ascii"]],
  ]) {
    try {
      execFileSync(bin(tool), args, { cwd: dir, stdio: "pipe", encoding: "utf8" });
      console.log(`${name}: ${tool} clean`);
    } catch (error) {
      failed++;
      console.error(`${name}: ${tool} found problems\n${error.stdout ?? ""}${error.stderr ?? ""}`);
    }
  }
}
if (failed > 0) process.exit(1);
