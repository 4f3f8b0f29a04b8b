/**
 * Every request example of seed 004 (ALM Octane "Manage sessions"), sent as the document
 * writes it through a real HTTP server to the Octane router over a memory store, checked
 * against the ledger's own view of the data.
 */
import type { Session } from "@session-ledger/core";
import { parse as parseCsv } from "csv-parse/sync";
import ExcelJS from "exceljs";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, KEYS, type TestApp } from "../test-support/octane-app.js";

const SPACE = "1001";
/** The seed's URLs start with `.../api/shared_spaces/<space_ID>`; this is the `...`-less form. */
const seedUrl = (path: string) => path.replace("...", "").replace("<space_ID>", SPACE);
const FROM = Date.parse("2026-01-28T20:59:59.427Z");
const TO = Date.parse("2026-02-26T20:59:59.427Z");

let t: TestApp;
let sessions: Session[];

beforeAll(async () => {
  t = await createTestApp();
  sessions = await t.all(SPACE);
});
afterAll(() => t.close());

const get = (path: string) =>
  request(t.app)
    .get(seedUrl(path))
    .set("X-API-KEY", KEYS.admin)
    .set("ALM-OCTANE-TECH-PREVIEW", "true");

const binary: Parameters<request.Test["parse"]>[0] = (res, done) => {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("end", () => done(null, Buffer.concat(chunks)));
};

/** The listing's default order: newest first, ties by id ascending. */
const newestFirst = (a: Session, b: Session) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1);

const inRange = (s: Session, to = TO) => s.createdAt > FROM && s.createdAt < to;

describe(`seed 004: Get sessions`, () => {
  it('should get all open sessions with ?query="(end_time=null)"', async () => {
    const res = await get('.../api/shared_spaces/<space_ID>/sessions?query="(end_time=null)"');
    expect(res.status).toBe(200);
    const open = sessions.filter((s) => s.endedAt === null);
    expect(open.length).toBeGreaterThan(0);
    expect(res.body.total_count).toBe(open.length);
    expect(res.body.exceeds_total_count).toBe(false);
    expect(res.body.data.map((e: { id: string }) => e.id).sort()).toEqual(
      open.map((s) => s.id).sort(),
    );
    for (const entity of res.body.data) {
      expect(entity.type).toBe("session");
      expect(entity.end_time).toBeNull();
      // No fields= asked: the seed's documented fields come back.
      expect(Object.keys(entity)).toEqual([
        "type",
        "id",
        "session_identifier",
        "client_type",
        "user",
        "client_ip",
        "access_type",
        "creation_time",
        "end_time",
        "license_edition",
      ]);
      expect(Object.keys(entity.user)).toEqual(["type", "id", "name", "full_name", "email"]);
    }
  });

  it("should filter by user id within a creation range and return exactly the fields asked", async () => {
    const res = await get(
      `.../api/shared_spaces/<space_ID>/sessions?fields=session_identifier,client_type,user,creation_time,access_type,license_edition,end_time,client_ip,id&query="(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59Z^;(user={id=220001}))"`,
    );
    expect(res.status).toBe(200);
    const expected = sessions.filter(
      (s) => s.user.id === "220001" && inRange(s, Date.parse("2026-02-26T20:59:59Z")),
    );
    expect(expected.length).toBeGreaterThan(10);
    expect(res.body.total_count).toBe(expected.length);
    expect(res.body.data).toHaveLength(expected.length);
    expect(res.body.data.map((e: { id: string }) => e.id).sort()).toEqual(
      expected.map((s) => s.id).sort(),
    );
    const byId = new Map(expected.map((s) => [s.id, s]));
    for (const entity of res.body.data) {
      const session = byId.get(entity.id)!;
      expect(entity).toEqual({
        type: "session",
        id: session.id,
        session_identifier: session.sessionIdentifier,
        client_type: session.clientType,
        user: {
          type: "workspace_user",
          id: "220001",
          name: session.user.login,
          full_name: session.user.fullName,
          email: session.user.email,
        },
        creation_time: new Date(session.createdAt).toISOString(),
        access_type: session.accessType,
        license_edition: session.licenseEdition,
        end_time: session.endedAt === null ? null : new Date(session.endedAt).toISOString(),
        client_ip: session.clientIp,
      });
    }
  });
});

describe(`seed 004: Grouping`, () => {
  it("should group by license_edition with counts that add up to the range's total", async () => {
    const res = await get(
      '.../api/shared_spaces/<space_ID>/sessions/groups?group_by=license_edition&query="(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59.427Z^)"',
    );
    expect(res.status).toBe(200);
    const matching = sessions.filter((s) => inRange(s));
    const expected = new Map<string | null, number>();
    for (const s of matching)
      expected.set(s.licenseEdition, (expected.get(s.licenseEdition) ?? 0) + 1);
    expect(res.body.groupsTotalCount).toBe(expected.size);
    const groups = res.body.groups as { count: number; value: string | null }[];
    expect(groups.reduce((sum, g) => sum + g.count, 0)).toBe(matching.length);
    expect(new Map(groups.map((g) => [g.value, g.count]))).toEqual(expected);
    const counts = groups.map((g) => g.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it.each(["access_type", "client_ip", "license_edition", "session_identifier", "user"])(
    "should group by %s, one of the seed's supported group_by fields",
    async (field) => {
      const res = await get(
        `.../api/shared_spaces/<space_ID>/sessions/groups?group_by=${field}&query="(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59.427Z^)"`,
      );
      expect(res.status).toBe(200);
      const total = sessions.filter((s) => inRange(s)).length;
      const groups = res.body.groups as { count: number; value: unknown }[];
      expect(groups.reduce((sum, g) => sum + g.count, 0)).toBe(total);
      expect(groups).toHaveLength(res.body.groupsTotalCount);
      if (field === "user") {
        // The largest group (ties by id) carries the login and name of its newest session.
        const byUser = new Map<string, Session[]>();
        for (const s of sessions.filter((s) => inRange(s))) {
          byUser.set(s.user.id, [...(byUser.get(s.user.id) ?? []), s]);
        }
        const [id, group] = [...byUser].sort(
          ([a, x], [b, y]) => y.length - x.length || (a < b ? -1 : 1),
        )[0]!;
        const newest = group.sort(
          (a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1),
        )[0]!;
        expect(groups[0]).toEqual({
          count: group.length,
          value: {
            type: "workspace_user",
            id,
            name: newest.user.login,
            full_name: newest.user.fullName,
          },
        });
      }
    },
  );
});

describe(`seed 004: Sorting`, () => {
  it("should sort by creation time descending with order_by=-creation_time", async () => {
    const res = await get(
      '.../api/shared_spaces/<space_ID>/sessions?fields=creation_time,end_time,user&query="(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59.427Z^)"&order_by=-creation_time',
    );
    expect(res.status).toBe(200);
    const expected = sessions.filter((s) => inRange(s)).sort(newestFirst);
    expect(res.body.total_count).toBe(expected.length);
    // The first page: Octane's default limit of 100.
    expect(res.body.data.map((e: { id: string }) => e.id)).toEqual(
      expected.slice(0, 100).map((s) => s.id),
    );
    expect(Object.keys(res.body.data[0])).toEqual([
      "type",
      "id",
      "creation_time",
      "end_time",
      "user",
    ]);
  });

  it("should sort by end time ascending with order_by=end_time, open sessions first", async () => {
    const res = await get(
      '.../api/shared_spaces/<space_ID>/sessions?fields=creation_time,end_time,user&query="(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59.427Z^)"&order_by=end_time',
    );
    expect(res.status).toBe(200);
    const ends = res.body.data.map((e: { end_time: string | null }) =>
      e.end_time === null ? -1 : Date.parse(e.end_time),
    );
    if (sessions.some((s) => inRange(s) && s.endedAt === null)) expect(ends[0]).toBe(-1);
    expect(ends).toEqual([...ends].sort((a: number, b: number) => a - b));
    expect(res.body.total_count).toBe(sessions.filter((s) => inRange(s)).length);
  });

  it("should page with limit and offset, flagging that more rows exist", async () => {
    const base =
      '.../api/shared_spaces/<space_ID>/sessions?fields=id&query="(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59.427Z^)"&order_by=-creation_time';
    const whole = (await get(base)).body;
    const all = whole.data.map((e: { id: string }) => e.id);
    const first = await get(`${base}&limit=10`);
    const second = await get(`${base}&limit=10&offset=10`);
    const last = await get(`${base}&limit=10&offset=${whole.total_count - 5}`);
    expect(first.body.data.map((e: { id: string }) => e.id)).toEqual(all.slice(0, 10));
    expect(second.body.data.map((e: { id: string }) => e.id)).toEqual(all.slice(10, 20));
    expect(first.body.exceeds_total_count).toBe(true);
    expect(last.body.data).toHaveLength(5);
    expect(last.body.exceeds_total_count).toBe(false);
    expect(first.body.total_count).toBe(whole.total_count);
  });
});

describe(`seed 004: Export`, () => {
  const fields =
    "fields=id,user,client_type,session_identifier,client_ip,access_type,creation_time,end_time,license_edition";
  const query = 'query="(creation_time>^2026-01-28T20:59:59.427Z^)"';

  it("should export to XLSX with the times in UTC+03:00", async () => {
    const res = await get(
      `.../api/shared_spaces/<space_ID>/sessions/exports/file.xlsx?${fields}&${query}&timezone=UTC+03:00`,
    )
      .buffer(true)
      .parse(binary);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe(
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    expect(res.headers["content-disposition"]).toBe('attachment; filename="sessions.xlsx"');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.body as ExcelJS.Buffer);
    const sheet = workbook.worksheets[0]!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(header).toEqual([
      "id",
      "user.id",
      "user.name",
      "user.full_name",
      "user.email",
      "client_type",
      "session_identifier",
      "client_ip",
      "access_type",
      "creation_time (UTC+03:00)",
      "end_time (UTC+03:00)",
      "license_edition",
    ]);
    const expected = sessions.filter((s) => s.createdAt > FROM).sort(newestFirst);
    expect(sheet.rowCount).toBe(expected.length + 1);
    expected.forEach((session, index) => {
      const row = sheet.getRow(index + 2);
      expect(row.getCell(1).value).toBe(session.id);
      expect(row.getCell(3).value).toBe(session.user.login);
      const created = row.getCell(10).value as Date;
      expect(created.getTime()).toBe(session.createdAt + 3 * 3_600_000);
    });
  });

  it("should export to CSV", async () => {
    const res = await get(
      `.../api/shared_spaces/<space_ID>/sessions/csv_exports?${fields}&${query}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(res.headers["content-disposition"]).toBe('attachment; filename="sessions.csv"');
    const rows = parseCsv(res.text, { bom: true, columns: true }) as Record<string, string>[];
    const expected = sessions.filter((s) => s.createdAt > FROM).sort(newestFirst);
    // Ids starting with `-` carry the formula guard's `'`, which spreadsheets hide.
    expect(rows.map((r) => r.id)).toEqual(
      expected.map((s) => (s.id.startsWith("-") ? `'${s.id}` : s.id)),
    );
    expect(rows[0]!.creation_time).toBe(new Date(expected[0]!.createdAt).toISOString());
  });
});

describe(`seed 004: Terminate sessions`, () => {
  it("should terminate the sessions a PUT names and report them through background_tasks", async () => {
    const targets = sessions.filter((s) => s.endedAt === null).slice(0, 3);
    expect(targets).toHaveLength(3);
    const query = `"(${targets.map((s) => `id='${s.id}'`).join(";")})"`;
    const put = await request(t.app)
      .put(`/api/shared_spaces/${SPACE}/sessions/?query=${query}`)
      .set("X-API-KEY", KEYS.admin)
      .set("ALM-OCTANE-TECH-PREVIEW", "true")
      .set("Content-Type", "application/json")
      .send('{\n"data": [\n{\n"is_closed": true\n}\n]\n}');
    expect(put.status).toBe(202);
    expect(put.body).toMatchObject({
      total_count: 1,
      data: [{ type: "background_task", status: "QUEUED" }],
    });
    const taskId = put.body.data[0].id as string;
    expect(put.headers.location).toContain("/background_tasks?");

    let task: { status: string; result: Record<string, unknown> } | undefined;
    for (let attempt = 0; attempt < 200; attempt++) {
      const res = await get(
        `.../api/shared_spaces/<space_ID>/background_tasks?fields=status,result&query="id=${taskId}"`,
      );
      expect(res.status).toBe(200);
      expect(res.body.total_count).toBe(1);
      task = res.body.data[0];
      if (task?.status === "SUCCESS") break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(task).toEqual({
      type: "background_task",
      id: taskId,
      status: "SUCCESS",
      result: {
        total: 3,
        processed: 3,
        ended: targets.map((s) => s.id),
        already_ended: [],
        not_found: [],
        failed: [],
      },
    });
    for (const target of targets) {
      const after = await t.ledger.get(SPACE, target.id);
      expect(after?.status).toBe("REVOKED");
      // "the session end time is automatically updated to the current date and time"
      expect(after?.endedAt).toBe(t.now());
    }
  });
});
