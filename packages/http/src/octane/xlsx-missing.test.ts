/**
 * exceljs is an optional peer: a host that did not install it still serves every other route,
 * and an XLSX export answers 501 in Octane's error body, saying what to install.
 */
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestApp, KEYS, type TestApp } from "../test-support/octane-app.js";

vi.mock("exceljs", () => {
  throw Object.assign(new Error("Cannot find package 'exceljs'"), { code: "ERR_MODULE_NOT_FOUND" });
});

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const RANGE = 'query="(creation_time>^2026-02-01T00:00:00Z^;creation_time<^2026-02-21T00:00:00Z^)"';

describe("XLSX export without exceljs installed", () => {
  it("should answer 501 in Octane's body naming the package, and keep serving CSV", async () => {
    const xlsx = await request(t.app)
      .get(`/api/shared_spaces/1001/sessions/exports/file.xlsx?fields=id&${RANGE}`)
      .set("X-API-KEY", KEYS.admin);
    expect(xlsx.status).toBe(501);
    expect(xlsx.body).toMatchObject({
      error_code: "platform.not_implemented",
      description: expect.stringContaining("npm install exceljs"),
    });
    const csv = await request(t.app)
      .get(`/api/shared_spaces/1001/sessions/csv_exports?fields=id&${RANGE}`)
      .set("X-API-KEY", KEYS.admin);
    expect(csv.status).toBe(200);
    expect(csv.text.split("\r\n")[0]).toBe("\uFEFFid");
  });
});
