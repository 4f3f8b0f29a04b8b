/**
 * The handler: the page and its hashed assets under any base path, the redirect to the
 * trailing slash, 405 for other methods, null outside its routes, the CSP, the page's
 * configuration, and options checked where they are given.
 */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readPageFiles } from "./assets.js";
import { createConsoleHandler, DEFAULT_CSP } from "./handler.js";

const get = (url: string, init: RequestInit = {}) => new Request(`http://host.test${url}`, init);
const files = readPageFiles();
const [script] = [...files.assets.keys()].filter((name) => name.endsWith(".js"));

describe("createConsoleHandler", () => {
  it("serves the page at the base path with a trailing slash, with the CSP and no cache", async () => {
    const handle = createConsoleHandler({ basePath: "/admin", auth: "cookie" });
    for (const path of ["/admin/", "/admin/index.html"]) {
      const res = await handle(get(path));
      expect(res?.status, path).toBe(200);
      expect(res?.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
      expect(res?.headers.get("Content-Security-Policy")).toBe(DEFAULT_CSP);
      expect(res?.headers.get("Cache-Control")).toBe("no-cache");
      const html = await res?.text();
      expect(html).toContain(`src="./assets/${script}"`);
      expect(html).not.toMatch(/<script>|<style|style=/);
    }
  });

  it("claims exactly the paths it answers, so an adapter can pass the others on unbuilt", async () => {
    const handle = createConsoleHandler({ basePath: "/admin", auth: "cookie" });
    const paths = [
      "/admin",
      "/admin/",
      "/admin/index.html",
      `/admin/assets/${script}`,
      "/admin/assets/missing.js",
      "/admin/other",
      "/administrator/",
      "/",
      "/api/shared_spaces/1001/sessions",
    ];
    for (const path of paths) {
      const answered = (await handle(get(path))) !== null;
      expect(handle.claims(path), path).toBe(answered);
    }
    expect(handle.claims("/admin/")).toBe(true);
    expect(handle.claims("/admin/other")).toBe(false);
  });

  it("tells the page how to reach the API and authenticate, relative to its own URL", async () => {
    const meta = async (options: Parameters<typeof createConsoleHandler>[0], path: string) => {
      const html = (await (await createConsoleHandler(options)(get(path)))?.text()) ?? "";
      const content = /<meta name="session-ledger-console" content="([^"]*)"/.exec(html)?.[1] ?? "";
      return JSON.parse(
        content
          .replace(/&quot;/g, '"')
          .replace(/&lt;/g, "<")
          .replace(/&gt;/g, ">")
          .replace(/&amp;/g, "&"),
      );
    };
    expect(await meta({ basePath: "/", auth: "api-key" }, "/")).toEqual({
      apiBase: "./",
      auth: "api-key",
      defaultSpace: null,
    });
    expect(
      await meta(
        { basePath: "/ops/sessions/", auth: "cookie", defaultSpace: "1001" },
        "/ops/sessions/",
      ),
    ).toEqual({
      apiBase: "../../",
      auth: "cookie",
      defaultSpace: "1001",
    });
    expect(
      (await meta({ basePath: "/a", auth: "cookie", apiBase: "/api-root" }, "/a/")).apiBase,
    ).toBe("/api-root/");
  });

  it("redirects the bare base path to its trailing slash, relatively and keeping the query", async () => {
    const res = await createConsoleHandler({ basePath: "/ops/console", auth: "cookie" })(
      get("/ops/console?range=7d"),
    );
    expect(res?.status).toBe(308);
    expect(res?.headers.get("Location")).toBe("console/?range=7d");
  });

  it("serves a hashed asset for a year, with an ETag and 304 on a match", async () => {
    const handle = createConsoleHandler({ basePath: "/", auth: "cookie" });
    const res = await handle(get(`/assets/${script}`));
    expect(res?.status).toBe(200);
    expect(res?.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    expect(res?.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    const etag = res?.headers.get("ETag") ?? "";
    const again = await handle(get(`/assets/${script}`, { headers: { "If-None-Match": etag } }));
    expect(again?.status).toBe(304);
    const head = await handle(get(`/assets/${script}`, { method: "HEAD" }));
    expect(head?.status).toBe(200);
    expect(await head?.text()).toBe("");
  });

  it("answers null outside its routes and for unknown assets, and 405 for other methods", async () => {
    const handle = createConsoleHandler({ basePath: "/admin", auth: "cookie" });
    for (const path of [
      "/",
      "/admin2/",
      "/administrator",
      "/admin/other",
      "/admin/assets/nope.js",
      "/api/shared_spaces/1/sessions",
    ]) {
      expect(await handle(get(path)), path).toBeNull();
    }
    const post = await handle(get("/admin/", { method: "POST", body: "x" }));
    expect(post?.status).toBe(405);
    expect(post?.headers.get("Allow")).toBe("GET, HEAD");
  });

  it("sends the host's own CSP, or none", async () => {
    const own = await createConsoleHandler({
      basePath: "/",
      auth: "cookie",
      contentSecurityPolicy: "default-src 'none'",
    })(get("/"));
    expect(own?.headers.get("Content-Security-Policy")).toBe("default-src 'none'");
    const none = await createConsoleHandler({
      basePath: "/",
      auth: "cookie",
      contentSecurityPolicy: false,
    })(get("/"));
    expect(none?.headers.has("Content-Security-Policy")).toBe(false);
  });

  it("refuses malformed options where they are given", () => {
    const bad: [unknown, string][] = [
      [undefined, "options are required"],
      [{ auth: "cookie" }, "basePath must be a path"],
      [{ basePath: "admin", auth: "cookie" }, "basePath must be a path"],
      [{ basePath: "/a b", auth: "cookie" }, "cannot hold"],
      [{ basePath: "/../x", auth: "cookie" }, "cannot hold"],
      [{ basePath: "/" }, 'auth must be "cookie"'],
      [{ basePath: "/", auth: "session" }, 'auth must be "cookie"'],
      [{ basePath: "/", auth: "cookie", apiBase: "" }, "apiBase must be"],
      [{ basePath: "/", auth: "cookie", apiBase: '/x"' }, "apiBase must be"],
      [{ basePath: "/", auth: "cookie", defaultSpace: " " }, "defaultSpace must be"],
      [{ basePath: "/", auth: "cookie", contentSecurityPolicy: "a\nb" }, "contentSecurityPolicy"],
    ];
    for (const [options, message] of bad) {
      expect(() => createConsoleHandler(options as never), JSON.stringify(options)).toThrow(
        message,
      );
    }
  });
});

describe("the page's size budget", () => {
  it("keeps the initial JS within 60 KB and the CSS within 15 KB gzipped", () => {
    let js = 0;
    let css = 0;
    for (const [name, asset] of files.assets) {
      const size = gzipSync(asset.body, { level: 9 }).byteLength;
      if (name.endsWith(".js")) js += size;
      if (name.endsWith(".css")) css += size;
    }
    console.log(
      `console page: ${(js / 1024).toFixed(1)} KB JS, ${(css / 1024).toFixed(1)} KB CSS (gzip -9)`,
    );
    expect(js).toBeGreaterThan(0);
    expect(js).toBeLessThanOrEqual(60 * 1024);
    expect(css).toBeGreaterThan(0);
    expect(css).toBeLessThanOrEqual(15 * 1024);
  });
});
