import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Type-checks `files` with the repository's compiler settings (`tsconfig.base.json`, no emit)
 * and the given `paths`, through a tsconfig written into `configDir`. Returns what tsc printed:
 * empty when the files type-check.
 */
export function typeCheck(options: {
  configDir: string;
  files: readonly string[];
  paths?: Record<string, string[]>;
}): string {
  const config = join(options.configDir, "tsconfig.json");
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(root, "tsconfig.base.json"),
      compilerOptions: {
        noEmit: true,
        composite: false,
        declaration: false,
        declarationMap: false,
        ...(options.paths ? { paths: options.paths } : {}),
      },
      files: options.files,
    }),
  );
  const tsc = join(root, "node_modules", ".bin", "tsc");
  const run = spawnSync(tsc, ["-p", config, "--pretty", "false"], { cwd: root, encoding: "utf8" });
  return `${run.stdout}${run.stderr}`;
}
