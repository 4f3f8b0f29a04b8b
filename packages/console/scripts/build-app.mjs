#!/usr/bin/env node
/**
 * Builds the console's page into `dist/app/`: the browser code and styles bundled and minified
 * by esbuild under content-hashed names (`assets/console-<hash>.js`, `.css`), and `index.html`
 * pointing at them by relative URLs, so the page works under any base path. No inline script
 * or style anywhere, for a strict Content-Security-Policy.
 *
 *   node scripts/build-app.mjs [outDir]
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Builds the page into `outDir` and returns the files written (relative paths).
 * @param {string} [outDir]
 */
export async function buildApp(outDir = join(root, "dist", "app")) {
  rmSync(outDir, { recursive: true, force: true });
  const assets = join(outDir, "assets");
  mkdirSync(assets, { recursive: true });
  const result = await build({
    entryPoints: { console: join(root, "app", "main.ts"), styles: join(root, "app", "styles.css") },
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2022", "chrome111", "firefox115", "safari16"],
    outdir: assets,
    entryNames: "[name]-[hash]",
    metafile: true,
    absWorkingDir: root,
    legalComments: "none",
    logLevel: "warning",
  });
  const written = Object.keys(result.metafile.outputs).map((path) =>
    relative(outDir, join(root, path)),
  );
  const script = written.find((path) => path.endsWith(".js"));
  const style = written.find((path) => path.endsWith(".css"));
  if (!script || !style) throw new Error(`esbuild wrote neither script nor style: ${written}`);
  const html = readFileSync(join(root, "app", "index.html"), "utf8")
    .replace("./console.js", `./${script}`)
    .replace("./styles.css", `./${style}`);
  writeFileSync(join(outDir, "index.html"), html);
  return [...written, "index.html"];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await buildApp(process.argv[2]);
  console.log(`console page: ${files.join(", ")}`);
}
