/**
 * One text rule from login to export: what core's `create` accepts, every dialect can list by
 * user and end; what any route would refuse, `create` refuses, naming the field and the place;
 * and rows stored before the rule (or written to a store directly) still export as files an
 * independent reader accepts: the CSV read back by csv-parse, the XLSX unzipped by fflate and
 * each of its XML parts read by saxes, a strict XML 1.0 parser.
 */
import { ValidationError } from "@session-ledger/core";
import { parse as parseCsv } from "csv-parse/sync";
import { unzipSync } from "fflate";
import { SaxesParser } from "saxes";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, type AdminApp, APP_SPACE, startAdminApp } from "./test-support/admin-app.js";

let t: AdminApp;
beforeAll(async () => {
  t = await startAdminApp(20);
});
afterAll(() => t.close());

/** Text every route and core accept: letters beyond Latin-1, an astral character, a tab in a name. */
const USER = {
  id: "local-zoë-😀-Ünïcode",
  login: "zoë😀@example.com",
  fullName: "Zoë\tMüller",
  email: "zoë@example.com",
};

const octaneUser = `(end_time=null;user={id='${USER.id}'})`;
const octane = (path: string) => request(t.app).get(path).set("X-API-KEY", ADMIN_KEY);
const bearer = (test: request.Test) => test.set("Authorization", `Bearer ${ADMIN_KEY}`);

async function signIn(): Promise<string> {
  const { session } = await t.ledger.create({ tenantId: APP_SPACE, user: USER });
  return session.id;
}

/** Polls an Octane background task until it has run. */
async function octaneTaskDone(taskId: string): Promise<void> {
  const poll = `/api/shared_spaces/${APP_SPACE}/background_tasks?fields=status&query="id=${taskId}"`;
  for (;;) {
    const res = await octane(poll);
    expect(res.status).toBe(200);
    const status = res.body.data[0]?.status;
    if (status === "SUCCESS") return;
    expect(["QUEUED", "RUNNING"]).toContain(status);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("text core accepts, every dialect can list by user and end", () => {
  it("Octane lists the user's sessions and ends them", async () => {
    const id = await signIn();
    const query = encodeURIComponent(`"${octaneUser}"`);
    const list = await octane(
      `/api/shared_spaces/${APP_SPACE}/sessions?fields=user&query=${query}`,
    );
    expect(list.status).toBe(200);
    const ids: string[] = list.body.data.map((s: { id: string }) => s.id);
    expect(ids).toContain(id);
    const named = encodeURIComponent(`"(${ids.map((each) => `id='${each}'`).join(";")})"`);
    const put = await request(t.app)
      .put(`/api/shared_spaces/${APP_SPACE}/sessions?query=${named}`)
      .set("X-API-KEY", ADMIN_KEY)
      .send({ data: [{ is_closed: true }] });
    expect(put.status, JSON.stringify(put.body)).toBe(202);
    await octaneTaskDone(put.body.data[0].id);
    expect((await t.ledger.get(APP_SPACE, id))?.status).toBe("REVOKED");
  });

  it("Cognite lists the principal's sessions and revokes them", async () => {
    const id = await signIn();
    const base = `/api/v1/orgs/space-${APP_SPACE}/principals/${encodeURIComponent(USER.id)}/sessions`;
    const list = await bearer(request(t.app).get(base));
    expect(list.status).toBe(200);
    expect(list.body.items.map((s: { id: string }) => s.id)).toContain(id);
    const revoke = await bearer(request(t.app).post(`${base}/revoke`)).send({ items: [{ id }] });
    expect(revoke.status).toBe(200);
    expect((await t.ledger.get(APP_SPACE, id))?.status).toBe("REVOKED");
  });

  it("LogScale finds the user by login and revokes all of the user's sessions", async () => {
    const id = await signIn();
    const graphql = (query: string) =>
      bearer(request(t.app).post("/graphql")).send({ query }).expect(200);
    const found = await graphql(
      `{ sessions(searchFilter: ${JSON.stringify(USER.login)}, onlyActiveSessions: true) { results { id user { id username } } } }`,
    );
    expect(found.body.errors).toBeUndefined();
    expect(found.body.data.sessions.results).toContainEqual({
      id,
      user: { id: USER.id, username: USER.login },
    });
    const revoked = await graphql(
      `mutation { revokeSession(input: {id: ${JSON.stringify(USER.id)}, revocationType: User}) }`,
    );
    expect(revoked.body).toEqual({ data: { revokeSession: true } });
    expect((await t.ledger.get(APP_SPACE, id))?.status).toBe("REVOKED");
  });

  it("Formal lists the user's sessions by query and terminates one", async () => {
    const id = await signIn();
    const list = await request(t.app)
      .post("/core.v1.SessionsService/ListSessionsV2")
      .set("X-API-KEY", ADMIN_KEY)
      .send({ query: `user={id='${USER.id}'}` });
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.sessions.map((s: { id: string }) => s.id)).toContain(id);
    const end = await request(t.app)
      .post("/core.v1.SessionsService/CreateSessionTermination")
      .set("X-API-KEY", ADMIN_KEY)
      .send({ sessionId: id, connectorId: "connector-1" });
    expect(end.status).toBe(200);
    expect((await t.ledger.get(APP_SPACE, id))?.status).toBe("REVOKED");
  });

  it("SAYMON's log shows the login as it was given", async () => {
    const id = await signIn();
    const log = await request(t.app)
      .get("/node/api/users/session/log?limit=100")
      .auth("admin", ADMIN_KEY);
    expect(log.status).toBe(200);
    expect(log.body).toContainEqual(
      expect.objectContaining({ id, userId: USER.id, login: USER.login }),
    );
  });
});

/** Each character the rule refuses, as the message names it. */
const REFUSED: [string, string][] = [
  ["\u0000", "control character U+0000"],
  ["\u001B", "control character U+001B"],
  ["\u007F", "control character U+007F"],
  ["\uD800", "lone surrogate U+D800"],
  ["\uDC00", "lone surrogate U+DC00"],
  ["\uFFFE", "noncharacter U+FFFE"],
  ["\uFFFF", "noncharacter U+FFFF"],
];

describe("text a route would refuse, create refuses, naming the field and the position", () => {
  const create = (user: Partial<typeof USER>) =>
    t.ledger.create({ tenantId: APP_SPACE, user: { ...USER, ...user } });

  it.each(REFUSED)("in a user id and a login: %j", async (char, named) => {
    for (const field of ["id", "login"] as const) {
      const error = await create({ [field]: `ab${char}c` }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({
        target: `user.${field}`,
        position: 2,
        message: `user.${field}: ${named} at 2`,
      });
    }
  });

  it.each(REFUSED)("in a full name, a user agent and the tenant: %j", async (char, named) => {
    await expect(create({ fullName: `x${char}` })).rejects.toThrow(`user.fullName: ${named} at 1`);
    await expect(
      t.ledger.create({ tenantId: APP_SPACE, user: USER, userAgent: `Mozilla${char}` }),
    ).rejects.toThrow(`userAgent: ${named} at 7`);
    await expect(t.ledger.create({ tenantId: `1${char}`, user: USER })).rejects.toThrow(
      `tenantId: ${named} at 1`,
    );
  });

  it("refuses tab and line breaks in ids and logins, and keeps them in free text", async () => {
    for (const char of ["\t", "\n", "\r"]) {
      await expect(create({ id: `a${char}` })).rejects.toThrow(/^user\.id: control character/);
      await expect(create({ login: `a${char}` })).rejects.toThrow(/^user\.login: control/);
    }
    const { session } = await create({ fullName: "two\r\nlines\tand a tab" });
    expect(session.user.fullName).toBe("two\r\nlines\tand a tab");
  });

  it("nothing refused was stored", async () => {
    const stored = await t.all(APP_SPACE);
    for (const session of stored) {
      for (const text of [session.user.id, session.user.login, session.user.fullName ?? ""]) {
        for (const [char] of REFUSED) expect(text).not.toContain(char);
      }
    }
  });
});

/** The CSV and XLSX writers, over rows stored before the rule. */
describe("exports of stored text the rule refuses", () => {
  const SEEDED = {
    id: "seeded-bad-text",
    login: "nul\u0000bell\u0007del\u007Fhigh\uD800low\uDC00fffe\uFFFEffff\uFFFFend",
    fullName: "tab\tcr\rlf\nesc\u001Bpair😀",
  };
  const CLEANED = {
    login: "nul\uFFFDbell\uFFFDdel\uFFFDhigh\uFFFDlow\uFFFDfffe\uFFFDffff\uFFFDend",
    fullName: "tab\tcr\rlf\nesc\uFFFDpair😀",
  };
  const query = encodeURIComponent(`"(end_time=null;user={id='${SEEDED.id}'})"`);
  const exportOf = (file: string) =>
    octane(
      `/api/shared_spaces/${APP_SPACE}/sessions/${file}?fields=id,user&query=${query}&order_by=id`,
    )
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => done(null, Buffer.concat(chunks)));
      });

  beforeAll(async () => {
    await t.insert({
      id: "seeded-1",
      tenantId: APP_SPACE,
      user: { id: SEEDED.id, login: SEEDED.login, fullName: SEEDED.fullName, email: null },
    });
  });

  it("the CSV replaces them and keeps tab and line breaks", async () => {
    const res = await exportOf("csv_exports");
    expect(res.status).toBe(200);
    const rows = parseCsv(res.body as Buffer, { bom: true, columns: true }) as Record<
      string,
      string
    >[];
    expect(rows).toEqual([
      expect.objectContaining({
        id: "seeded-1",
        "user.id": SEEDED.id,
        "user.name": CLEANED.login,
        "user.full_name": CLEANED.fullName,
      }),
    ]);
  });

  it("the XLSX is XML 1.0 a strict parser reads, with them replaced", async () => {
    const res = await exportOf("exports/file.xlsx");
    expect(res.status).toBe(200);
    const parts = unzipSync(new Uint8Array(res.body as Buffer));
    const texts: string[] = [];
    for (const [name, bytes] of Object.entries(parts)) {
      if (!name.endsWith(".xml") && !name.endsWith(".rels")) continue;
      const parser = new SaxesParser({ xmlns: true });
      let inText = false;
      parser.on("opentag", (tag) => {
        // A cell's text: `<v>` of a `t="str"` cell, `<t>` of an inline or shared string.
        inText = tag.local === "v" || tag.local === "t";
      });
      parser.on("text", (text) => {
        if (inText && name.startsWith("xl/worksheets/")) texts.push(text);
      });
      parser.on("closetag", () => {
        inText = false;
      });
      expect(() => parser.write(new TextDecoder().decode(bytes)).close(), name).not.toThrow();
    }
    expect(texts).toContain(CLEANED.login);
    // XML normalises a bare CR to LF unless it is written as a reference; the text survives.
    expect(texts.map((text) => text.replaceAll("\r\n", "\n").replaceAll("\r", "\n"))).toContain(
      CLEANED.fullName.replaceAll("\r", "\n"),
    );
  });
});
