/**
 * The prebuilt page, read once from the package's `dist/app/` (`scripts/build-app.mjs` writes
 * it; `pnpm build` runs that).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** One file of the page, ready to send. */
export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

/** The page: its `index.html` as text, and its hashed assets by file name. */
export interface PageFiles {
  indexHtml: string;
  assets: ReadonlyMap<string, Asset>;
}

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
};

/** Where the build writes the page: `dist/app/`, from `src/` and from `dist/` alike. */
export const DEFAULT_APP_DIR = fileURLToPath(new URL("../dist/app/", import.meta.url));

export const etagOf = (body: Uint8Array | string) =>
  `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;

/**
 * Reads the page's files.
 * @throws Error saying how to build the page when `dir` holds none
 */
export function readPageFiles(dir = DEFAULT_APP_DIR): PageFiles {
  const index = `${dir}/index.html`;
  if (!existsSync(index)) {
    throw new Error(
      `createConsoleHandler: the console page is not built (no ${index}); run \`pnpm build\` in @session-ledger/console`,
    );
  }
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(`${dir}/assets`)) {
    const type = TYPES[name.slice(name.lastIndexOf(".") + 1)];
    if (type === undefined) continue;
    const body = new Uint8Array(readFileSync(`${dir}/assets/${name}`));
    assets.set(name, { body, type, etag: etagOf(body) });
  }
  return { indexHtml: readFileSync(index, "utf8"), assets };
}
