#!/usr/bin/env node
/**
 * Packs every publishable package as `npm publish` would (workspace ranges become versions)
 * into one directory, under names without the version (`session-ledger-core.tgz`), so the
 * README's install line holds whatever the version. Until the packages are on the registry,
 * this is how a host installs them. Needs a prior `pnpm build` (`pnpm pack:all` runs it).
 *
 *   node scripts/pack-all.mjs [directory]   (default: packed/ at the repository's root)
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The directories of the packages that are published (not `private`). */
export function publishedPackages() {
  return readdirSync(join(root, "packages"))
    .map((name) => join(root, "packages", name))
    .filter((dir) => {
      try {
        return !JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).private;
      } catch {
        return false;
      }
    });
}

/** A package's tarball name: `@session-ledger/core` → `session-ledger-core.tgz`. */
export const tarballName = (name) => `${name.replace(/^@/, "").replace("/", "-")}.tgz`;

/**
 * Packs every published package into `destination` (emptied of earlier tarballs first).
 * @returns {Record<string, string>} each package's name and its tarball's path
 */
export function packAll(destination) {
  mkdirSync(destination, { recursive: true });
  for (const file of readdirSync(destination)) {
    if (file.endsWith(".tgz")) rmSync(join(destination, file));
  }
  const scratch = mkdtempSync(join(destination, ".pack-"));
  try {
    const published = publishedPackages();
    const filters = published.flatMap((dir) => ["--filter", `./${relative(root, dir)}`]);
    execFileSync("pnpm", ["-r", ...filters, "pack", "--pack-destination", scratch], {
      cwd: root,
      stdio: "pipe",
    });
    /** @type {Record<string, string>} */
    const packed = {};
    for (const file of readdirSync(scratch)) {
      const manifest = execFileSync("tar", ["-xzOf", join(scratch, file), "package/package.json"], {
        encoding: "utf8",
      });
      const { name } = JSON.parse(manifest);
      const target = join(destination, tarballName(name));
      renameSync(join(scratch, file), target);
      packed[name] = target;
    }
    if (Object.keys(packed).length !== published.length) {
      throw new Error(
        `packed ${Object.keys(packed).join(", ")}; expected ${published.length} packages`,
      );
    }
    return packed;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const destination = resolve(process.argv[2] ?? join(root, "packed"));
  const packed = packAll(destination);
  for (const [name, file] of Object.entries(packed)) console.log(`${name}: ${file}`);
}
