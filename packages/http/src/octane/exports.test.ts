/**
 * The Octane CSV and XLSX exports, read back by independent parsers (csv-parse, exceljs),
 * compared with the JSON list for the same query; plus time zones, the formula guard, and
 * streaming under backpressure.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Session, SessionLedger } from "@session-ledger/core";
import { parse as parseCsv } from "csv-parse/sync";
import ExcelJS from "exceljs";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, KEYS, NOW, type TestApp } from "../test-support/octane-app.js";

const RANGE = 'query="(creation_time>^2026-02-01T00:00:00Z^;creation_time<^2026-02-21T00:00:00Z^)"';
const FIELDS =
  "fields=id,user{full_name,email},client_ip,status,end_reason,creation_time,end_time,client_info,license_edition";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const get = (path: string) => request(t.app).get(path).set("X-API-KEY", KEYS.admin);
const binary: Parameters<request.Test["parse"]>[0] = (res, done) => {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("end", () => done(null, Buffer.concat(chunks)));
};
/**
 * A value as the CSV writes it: empty for null, and with the formula guard's `'` before a
 * leading `=`, `+`, `-`, `@`, tab or CR (session ids may start with `-`).
 */
const csvCell = (value: string | null | undefined) =>
  value === null || value === undefined
    ? ""
    : /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(value)
      ? `'${value}`
      : value;
const readXlsx = async (body: Buffer) => {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(body as unknown as ExcelJS.Buffer);
  return workbook.worksheets[0]!;
};
interface Entity {
  id: string;
  user: { full_name: string | null; email: string | null };
  client_ip: string | null;
  status: string;
  end_reason: string | null;
  creation_time: string;
  end_time: string | null;
  client_info: { browser: string | null; os: string | null; device: string | null } | null;
  license_edition: string | null;
}
const jsonList = async (space: string, extra = "") => {
  const res = await get(
    `/api/shared_spaces/${space}/sessions?${FIELDS}&${RANGE}&limit=2000${extra}`,
  );
  expect(res.status).toBe(200);
  return res.body.data as Entity[];
};

describe("CSV export", () => {
  it("should hold the same rows and values as the JSON list for the same query", async () => {
    const list = await jsonList("1002");
    expect(list.length).toBeGreaterThan(20);
    const res = await get(`/api/shared_spaces/1002/sessions/csv_exports?${FIELDS}&${RANGE}`);
    expect(res.status).toBe(200);
    expect(res.text.startsWith("\uFEFFid,")).toBe(true);
    expect(res.text).toContain("\r\n");
    const [header, ...rows] = parseCsv(res.text, { bom: true }) as string[][];
    expect(header).toEqual([
      "id",
      "user.full_name",
      "user.email",
      "client_ip",
      "status",
      "end_reason",
      "creation_time",
      "end_time",
      "client_info.browser",
      "client_info.os",
      "client_info.device",
      "license_edition",
    ]);
    expect(rows).toEqual(
      list.map((e) =>
        [
          e.id,
          e.user.full_name,
          e.user.email,
          e.client_ip,
          e.status,
          e.end_reason,
          e.creation_time,
          e.end_time,
          e.client_info?.browser,
          e.client_info?.os,
          e.client_info?.device,
          e.license_edition,
        ].map(csvCell),
      ),
    );
  });

  it("should write times in the requested offset, as the same instants", async () => {
    const list = await jsonList("1001");
    for (const [zone, suffix] of [
      ["UTC-05:30", "-05:30"],
      ["UTC%2B03:00", "+03:00"],
      // An unencoded `+` arrives as a space, as in the seed's `timezone=UTC+03:00`.
      ["UTC+03:00", "+03:00"],
      ["Europe/Berlin", "+01:00"],
      ["UTC", "Z"],
    ] as const) {
      const res = await get(
        `/api/shared_spaces/1001/sessions/csv_exports?fields=id,creation_time&${RANGE}&timezone=${zone}`,
      );
      expect(res.status, zone).toBe(200);
      const rows = parseCsv(res.text, { bom: true, columns: true }) as Record<string, string>[];
      expect(rows.map((r) => r.id)).toEqual(list.map((e) => csvCell(e.id)));
      rows.forEach((row, index) => {
        expect(row.creation_time!.endsWith(suffix), `${zone} ${row.creation_time}`).toBe(true);
        expect(Date.parse(row.creation_time!)).toBe(Date.parse(list[index]!.creation_time));
      });
    }
  });

  it("should prefix cells a spreadsheet would run as formulas, and quote what needs quoting", async () => {
    const app = await createTestApp({ seed: false });
    try {
      const dangerous = [
        { login: '=HYPERLINK("http://x")', fullName: "+SUM(A1:A9)", email: "@cmd" },
        { login: "-2+3", fullName: "\tTab", email: "\rreturn" },
        { login: "plain", fullName: 'Comma, "quoted"\nand a newline', email: "a@b.c" },
      ];
      for (const [i, user] of dangerous.entries()) {
        app.setNow(NOW - 60_000 + i * 1000);
        await app.ledger.create({ tenantId: "1001", user: { id: `u${i}`, ...user } });
      }
      app.setNow(NOW);
      const res = await request(app.app)
        .get(
          '/api/shared_spaces/1001/sessions/csv_exports?fields=user&query="(end_time=null)"&order_by=creation_time',
        )
        .set("X-API-KEY", KEYS.admin);
      expect(res.status).toBe(200);
      const rows = parseCsv(res.text, { bom: true, columns: true }) as Record<string, string>[];
      expect(rows.map((r) => [r["user.name"], r["user.full_name"], r["user.email"]])).toEqual([
        ['\'=HYPERLINK("http://x")', "'+SUM(A1:A9)", "'@cmd"],
        ["'-2+3", "'\tTab", "'\rreturn"],
        ["plain", 'Comma, "quoted"\nand a newline', "a@b.c"],
      ]);
      const xlsx = await request(app.app)
        .get(
          '/api/shared_spaces/1001/sessions/exports/file.xlsx?fields=user&query="(end_time=null)"&order_by=creation_time',
        )
        .set("X-API-KEY", KEYS.admin)
        .buffer(true)
        .parse(binary);
      const sheet = await readXlsx(xlsx.body as Buffer);
      // XLSX stores text as text, never as a formula: the values come back unchanged.
      const cell = sheet.getRow(2).getCell(2);
      expect(cell.type).toBe(ExcelJS.ValueType.String);
      expect(cell.value).toBe('=HYPERLINK("http://x")');
    } finally {
      await app.close();
    }
  });

  it("should send only the header row when nothing matches", async () => {
    const res = await get(
      "/api/shared_spaces/1001/sessions/csv_exports?fields=id,user&query=\"(id='nothing-here')\"",
    );
    expect(res.status).toBe(200);
    expect(res.text).toBe("\uFEFFid,user.id,user.name,user.full_name,user.email\r\n");
  });
});

describe("XLSX export", () => {
  it("should hold the same rows and values as the JSON list, dates shifted to the zone", async () => {
    const list = await jsonList("2001");
    const res = await get(
      `/api/shared_spaces/2001/sessions/exports/file.xlsx?${FIELDS}&${RANGE}&timezone=UTC-05:30`,
    )
      .buffer(true)
      .parse(binary);
    expect(res.status).toBe(200);
    const sheet = await readXlsx(res.body as Buffer);
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual([
      "id",
      "user.full_name",
      "user.email",
      "client_ip",
      "status",
      "end_reason",
      "creation_time (UTC-05:30)",
      "end_time (UTC-05:30)",
      "client_info.browser",
      "client_info.os",
      "client_info.device",
      "license_edition",
    ]);
    expect(sheet.rowCount).toBe(list.length + 1);
    const shift = -5.5 * 3_600_000;
    const date = (iso: string | null) => (iso === null ? null : new Date(Date.parse(iso) + shift));
    list.forEach((e, index) => {
      const values = (sheet.getRow(index + 2).values as unknown[]).slice(1);
      const cells = Array.from({ length: 12 }, (_, i) => values[i] ?? null);
      expect(cells).toEqual([
        e.id,
        e.user.full_name,
        e.user.email,
        e.client_ip,
        e.status,
        e.end_reason,
        date(e.creation_time),
        date(e.end_time),
        e.client_info?.browser ?? null,
        e.client_info?.os ?? null,
        e.client_info?.device ?? null,
        e.license_edition,
      ]);
    });
    expect(sheet.getRow(2).getCell(7).numFmt).toBe("yyyy-mm-dd hh:mm:ss");
  });

  it.each(["UTC+25:00", "Mars/Olympus_Mons", "+03:00", "UTC+3:75", "local"])(
    "should answer 400 in Octane's body for the bad timezone %s",
    async (zone) => {
      for (const path of ["exports/file.xlsx", "csv_exports"]) {
        const res = await get(
          `/api/shared_spaces/1001/sessions/${path}?${RANGE}&timezone=${encodeURIComponent(zone)}`,
        );
        expect(res.status).toBe(400);
        expect(res.headers["content-type"]).toMatch(/^application\/json/);
        expect(res.body).toMatchObject({
          error_code: "platform.illegal_field_value",
          properties: { parameter: "timezone" },
        });
        expect(res.body.description).toContain("timezone must be UTC");
      }
    },
  );
});

describe("streaming", () => {
  const ROWS = 100_000;

  /** A ledger whose export yields fresh, poorly compressible sessions and counts its pulls. */
  function countingLedger(ledger: SessionLedger) {
    const state = { pulled: 0, closed: false };
    const exporting: SessionLedger = {
      ...ledger,
      async *export() {
        try {
          for (let i = 0; i < ROWS; i++) {
            state.pulled++;
            yield fakeSession(i);
          }
        } finally {
          state.closed = true;
        }
      },
    };
    return { exporting, state };
  }

  async function pausedDownload(path: string) {
    const { exporting, state } = countingLedger(t.ledger);
    const app = await createTestApp({ seed: false, router: { ledger: exporting } });
    const server = http.createServer(app.app).listen(0);
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const response = await new Promise<http.IncomingMessage>((resolve) => {
        http.get({ port, path, headers: { "X-API-KEY": KEYS.admin } }, (res) => resolve(res));
      });
      expect(response.statusCode).toBe(200);
      response.pause();
      // Let the server fill the socket buffers, then it must stop: the count taken once it has
      // not moved for five readings in a row (a single quiet reading can be a stall of a loaded
      // machine while the server is still filling them).
      let first = -1;
      for (let i = 0, quiet = 0; i < 100 && quiet < 5; i++) {
        quiet = state.pulled === first ? quiet + 1 : 0;
        first = state.pulled;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      // The client reads nothing, so the server stops pulling rows from the ledger.
      expect(state.pulled).toBe(first);
      expect(first).toBeLessThan(ROWS / 5);
      response.destroy();
      for (let i = 0; i < 100 && !state.closed; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // The client left: the export stopped and closed its source.
      expect(state.closed).toBe(true);
      expect(state.pulled).toBeLessThan(ROWS);
      return first;
    } finally {
      server.close();
      await app.close();
    }
  }

  it("should pull CSV rows only as fast as the client reads, and stop when it leaves", async () => {
    await pausedDownload(
      '/api/shared_spaces/1001/sessions/csv_exports?query="(end_time=null)"&fields=id,user,user_agent',
    );
  });

  it("should pull XLSX rows only as fast as the client reads, and stop when it leaves", async () => {
    await pausedDownload(
      '/api/shared_spaces/1001/sessions/exports/file.xlsx?query="(end_time=null)"&fields=id,user,user_agent',
    );
  });
});

function fakeSession(i: number): Session {
  // Random text defeats XLSX's deflate, so the client's socket buffers fill as they would
  // with a real, large export, and backpressure shows within a few thousand rows.
  const noise = randomBytes(600).toString("base64");
  return {
    id: `s${i.toString(36).padStart(20, "0")}`,
    tenantId: "1001",
    sessionIdentifier: null,
    user: {
      id: String(220001 + (i % 5000)),
      login: `user${i}`,
      fullName: noise.slice(0, 24),
      email: null,
    },
    clientType: "UI",
    accessType: "UI",
    clientIp: "10.0.0.1",
    serverIp: null,
    userAgent: noise,
    clientInfo: null,
    city: null,
    country: null,
    licenseEdition: null,
    status: "ACTIVE",
    endReason: null,
    createdAt: NOW - i,
    lastActivityAt: NOW - i,
    expiresAt: NOW + 1_000_000,
    absoluteExpiresAt: NOW + 1_000_000,
    endedAt: null,
    attributes: null,
  };
}
