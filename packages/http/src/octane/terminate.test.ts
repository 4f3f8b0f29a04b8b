/**
 * Terminate through HTTP: `PUT …/sessions` queues a persisted background task, and
 * `GET …/background_tasks` reports it until it ends, with the outcome of every id.
 */
import http from "node:http";
import {
  createMemoryStore,
  parseQuery,
  type SessionLedger,
  StorageError,
} from "@session-ledger/core";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, KEYS, type TestApp } from "../test-support/octane-app.js";
import { idsFromBody, idsFromFilter, taskIdsFromQuery } from "./terminate.js";

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});
async function app(options: Parameters<typeof createTestApp>[0] = {}) {
  const created = await createTestApp({ seed: false, ...options });
  apps.push(created);
  return created;
}

async function openSessions(t: TestApp, space: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { session } = await t.ledger.create({
      tenantId: space,
      user: { id: `u${i % 300}`, login: `user${i % 300}` },
    });
    ids.push(session.id);
  }
  return ids;
}

interface TaskEntity {
  type: string;
  id: string;
  status: string;
  result: {
    total: number;
    processed: number;
    ended: string[];
    already_ended: string[];
    not_found: string[];
    failed: string[];
  } | null;
}

/** Polls `background_tasks` as a client would, until the task leaves QUEUED and RUNNING. */
async function poll(server: http.Server | TestApp["app"], space: string, taskId: string) {
  const seen = new Set<string>();
  for (let attempt = 0; attempt < 1000; attempt++) {
    const res = await request(server)
      .get(`/api/shared_spaces/${space}/background_tasks`)
      .query({ fields: "status,result", query: `"id=${taskId}"` })
      .set("X-API-KEY", KEYS.admin);
    expect(res.status).toBe(200);
    const task = res.body.data[0] as TaskEntity;
    seen.add(task.status);
    if (task.status === "SUCCESS" || task.status === "FAILED") return { task, seen };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`task ${taskId} did not finish`);
}

describe("terminate as a background task", () => {
  it("should revoke 9,970 of 10,000 ids and report the 20 unknown and 10 foreign ones individually", async () => {
    const t = await app();
    const mine = await openSessions(t, "1001", 9970);
    const foreign = await openSessions(t, "1002", 10);
    const unknown = Array.from({ length: 20 }, (_, i) => `unknown-session-${i}`);
    const ids = [
      ...mine.slice(0, 4000),
      ...unknown,
      ...mine.slice(4000, 8000),
      ...foreign,
      ...mine.slice(8000),
    ];
    expect(ids).toHaveLength(10_000);
    // The seed's form: every id in the query. 10,000 ids make a ~400 KB URL, past Node's
    // default 16 KiB header limit, so this server raises it, as a host expecting such lists would.
    const server = http.createServer({ maxHeaderSize: 4 * 1024 * 1024 }, t.app);
    const put = await request(server)
      .put("/api/shared_spaces/1001/sessions")
      .query({ query: `"(${ids.map((id) => `id='${id}'`).join(";")})"` })
      .set("X-API-KEY", KEYS.admin)
      .send({ data: [{ is_closed: true }] });
    expect(put.status).toBe(202);
    expect(put.body.data[0]).toMatchObject({ type: "background_task", status: "QUEUED" });
    // The seed's name for the id to poll with, beside Octane's entity list.
    expect(put.body.background_task_id).toBe(put.body.data[0].id);

    const { task } = await poll(server, "1001", put.body.data[0].id);
    expect(task.status).toBe("SUCCESS");
    expect(task.result!.total).toBe(10_000);
    expect(task.result!.processed).toBe(10_000);
    expect(task.result!.ended).toHaveLength(9970);
    expect(new Set(task.result!.ended)).toEqual(new Set(mine));
    expect(task.result!.not_found).toEqual([...unknown, ...foreign]);
    expect(task.result!.already_ended).toEqual([]);
    expect(task.result!.failed).toEqual([]);
    expect(await t.ledger.count("1001", statusIs("ACTIVE"))).toBe(0);
    expect(await t.ledger.count("1001", statusIs("REVOKED"))).toBe(9970);
    // The other space's sessions are untouched: tenants never see each other.
    expect(await t.ledger.count("1002", statusIs("ACTIVE"))).toBe(10);
  });

  it("should take the id list in Octane's bulk-update body, for lists too long for a URL", async () => {
    const t = await app();
    const mine = await openSessions(t, "1001", 2500);
    const put = await request(t.app)
      .put("/api/shared_spaces/1001/sessions/")
      .set("X-API-KEY", KEYS.admin)
      .send({ data: [...mine, "missing"].map((id) => ({ id, is_closed: true })) });
    expect(put.status).toBe(202);
    const { task } = await poll(t.app, "1001", put.body.data[0].id);
    expect(task.status).toBe("SUCCESS");
    expect(task.result!.ended).toHaveLength(2500);
    expect(task.result!.not_found).toEqual(["missing"]);
  });

  it("should show partial success: ended, already ended and not found, each by id", async () => {
    const t = await app();
    const [a, b, c, d] = await openSessions(t, "1001", 4);
    await t.ledger.logout("1001", b!);
    await t.ledger.terminate("1001", c!);
    const put = await request(t.app)
      .put(
        `/api/shared_spaces/1001/sessions?query="(id='${a}';id='${b}';id='${c}';id='nope';id='${d}')"`,
      )
      .set("X-API-KEY", KEYS.admin)
      .send({ data: [{ is_closed: true }] });
    expect(put.status).toBe(202);
    const { task } = await poll(t.app, "1001", put.body.data[0].id);
    expect(task).toEqual({
      type: "background_task",
      id: put.body.data[0].id,
      status: "SUCCESS",
      result: {
        total: 5,
        processed: 5,
        ended: [a, d],
        already_ended: [b, c],
        not_found: ["nope"],
        failed: [],
      },
    });
    // Terminating twice is a no-op: LOGGED_OUT stays LOGGED_OUT.
    expect((await t.ledger.get("1001", b!))?.status).toBe("LOGGED_OUT");
  });

  it("should end FAILED with what was done and the ids not done when the store fails mid-way", async () => {
    let calls = 0;
    const t = await app({
      batchSize: 3,
      // No retries: the batch's StorageError fails the task at once (a retried one goes on,
      // the task runner's tests show).
      batchRetryDelaysMs: [],
      runnerLedger: (ledger): SessionLedger => ({
        ...ledger,
        async terminateTaskBatch(tenantId, taskId, batch) {
          if (++calls === 2) throw new StorageError("the disk is full");
          return ledger.terminateTaskBatch(tenantId, taskId, batch);
        },
      }),
    });
    const ids = await openSessions(t, "1001", 7);
    const put = await request(t.app)
      .put("/api/shared_spaces/1001/sessions")
      .query({ query: `"(${ids.map((id) => `id='${id}'`).join("||")})"` })
      .set("X-API-KEY", KEYS.admin)
      .send({ data: [{ is_closed: true }] });
    expect(put.status).toBe(202);
    const res = await poll(t.app, "1001", put.body.data[0].id);
    expect(res.task.status).toBe("FAILED");
    expect(res.task.result).toMatchObject({
      total: 7,
      processed: 3,
      ended: ids.slice(0, 3),
      failed: ids.slice(3),
    });
    const full = await request(t.app)
      .get("/api/shared_spaces/1001/background_tasks")
      .query({ query: `"id=${put.body.data[0].id}"` })
      .set("X-API-KEY", KEYS.admin);
    // Without fields=, every task field; the store's error text stays in the server.
    expect(Object.keys(full.body.data[0])).toEqual([
      "type",
      "id",
      "status",
      "result",
      "creation_time",
      "last_modified",
      "error",
    ]);
    expect(full.body.data[0].error).not.toContain("disk");
  });

  it("should not show a task to another space, nor an unknown task", async () => {
    const t = await app();
    const [id] = await openSessions(t, "1002", 1);
    const put = await request(t.app)
      .put(`/api/shared_spaces/1002/sessions?query="id='${id}'"`)
      .set("X-API-KEY", KEYS.space1002)
      .send({ data: [{ is_closed: true }] });
    expect(put.status).toBe(202);
    const taskId = put.body.data[0].id as string;
    const elsewhere = await request(t.app)
      .get(`/api/shared_spaces/1001/background_tasks?query="id=${taskId}"`)
      .set("X-API-KEY", KEYS.admin);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body).toEqual({ total_count: 0, data: [], exceeds_total_count: false });
    const unknown = await request(t.app)
      .get(`/api/shared_spaces/1002/background_tasks?query="id='no-such-task'"`)
      .set("X-API-KEY", KEYS.space1002);
    expect(unknown.body.total_count).toBe(0);
    const own = await poll(t.app, "1002", taskId);
    expect(own.task.result!.ended).toEqual([id]);
  });

  it("should let a read-only key poll tasks but not start one", async () => {
    const t = await app();
    const [id] = await openSessions(t, "1001", 1);
    const denied = await request(t.app)
      .put(`/api/shared_spaces/1001/sessions?query="id='${id}'"`)
      .set("X-API-KEY", KEYS.reader)
      .send({ data: [{ is_closed: true }] });
    expect(denied.status).toBe(403);
    expect((await t.ledger.get("1001", id!))?.status).toBe("ACTIVE");
    const put = await request(t.app)
      .put(`/api/shared_spaces/1001/sessions?query="id='${id}'"`)
      .set("X-API-KEY", KEYS.admin)
      .send({ data: [{ is_closed: true }] });
    const polled = await request(t.app)
      .get(
        `/api/shared_spaces/1001/background_tasks?fields=status&query="id=${put.body.data[0].id}"`,
      )
      .set("X-API-KEY", KEYS.reader);
    expect(polled.status).toBe(200);
    expect(Object.keys(polled.body.data[0])).toEqual(["type", "id", "status"]);
  });

  it("should answer a poll of the status without reading the task's ids or outcome", async () => {
    const reads: string[] = [];
    const store = createMemoryStore();
    const t = await app({
      store: {
        ...store,
        getTask(...args) {
          reads.push("getTask");
          return store.getTask(...args);
        },
        getTaskOutcome(...args) {
          reads.push("getTaskOutcome");
          return store.getTaskOutcome(...args);
        },
      },
    });
    const ids = await openSessions(t, "1001", 3);
    const put = await request(t.app)
      .put("/api/shared_spaces/1001/sessions")
      .set("X-API-KEY", KEYS.admin)
      .send({ data: ids.map((id) => ({ id, is_closed: true })) });
    expect(put.status).toBe(202);
    const { task } = await poll(t.app, "1001", put.body.data[0].id);
    expect(task.result?.ended).toEqual(ids);
    reads.length = 0;
    const status = await request(t.app)
      .get("/api/shared_spaces/1001/background_tasks")
      .query({ fields: "status,creation_time", query: `"id=${task.id}"` })
      .set("X-API-KEY", KEYS.admin);
    expect(status.body.data[0]).toMatchObject({ id: task.id, status: "SUCCESS" });
    expect(reads).toEqual([]);
    // Asking for the result reads them.
    await request(t.app)
      .get("/api/shared_spaces/1001/background_tasks")
      .query({ fields: "result", query: `"id=${task.id}"` })
      .set("X-API-KEY", KEYS.admin);
    expect(reads).toEqual(["getTask", "getTaskOutcome"]);
  });
});

function statusIs(status: string) {
  return {
    kind: "compare",
    field: "status",
    op: "EQ",
    value: { kind: "text", value: status },
  } as const;
}

describe("the id lists of a terminate request", () => {
  it("should read ids joined by ';' or '||', or listed with IN, without duplicates", () => {
    expect(idsFromFilter(parseQuery(`"(id='a';id='b';id='c')"`)!)).toEqual(["a", "b", "c"]);
    expect(idsFromFilter(parseQuery(`"id='a'||id='b'||id='a'"`)!)).toEqual(["a", "b"]);
    expect(idsFromFilter(parseQuery(`"id IN 'a','b';id=1001"`)!)).toEqual(["a", "b", "1001"]);
    for (const query of [`"id='a';client_type='UI'"`, `"!(id='a')"`, `"id>'a'"`, `"id=null"`]) {
      expect(() => idsFromFilter(parseQuery(query)!), query).toThrow(/may only list session ids/);
    }
  });

  it("should validate both body forms", async () => {
    expect(await idsFromBody({ data: [{ is_closed: true }] }, true, 10)).toBeNull();
    expect(
      await idsFromBody(
        {
          data: [
            { id: "a", is_closed: true },
            { is_closed: true, id: "b" },
          ],
        },
        false,
        10,
      ),
    ).toEqual(["a", "b"]);
    for (const [body, hasQuery, message] of [
      [null, true, /must be a JSON object/],
      [[], true, /must be a JSON object/],
      [{ data: [{ is_closed: true }], more: 1 }, true, /unexpected property 'more'/],
      [{ data: {} }, true, /non-empty array/],
      [{ data: [{ is_closed: true }, { is_closed: true }] }, true, /exactly one entry/],
      [{ data: [{ is_closed: "true" }] }, true, /data\[0\]\.is_closed must be true/],
      [{ data: [{ is_closed: true, id: 5 }] }, false, /data\[0\]\.id must be a session id/],
      [
        { data: Array.from({ length: 11 }, (_, i) => ({ id: `s${i}`, is_closed: true })) },
        false,
        /at most 10/,
      ],
    ] as const) {
      await expect(idsFromBody(body, hasQuery, 10), JSON.stringify(body)).rejects.toThrow(message);
    }
  });

  it("should read a task id bare, quoted or as a list", () => {
    const parse = (text: string) => parseQuery(text);
    expect(taskIdsFromQuery(`"id=V1StGXR8_Z5jdHi6B-myT"`, parse)).toEqual([
      "V1StGXR8_Z5jdHi6B-myT",
    ]);
    expect(taskIdsFromQuery(`(id EQ abc)`, parse)).toEqual(["abc"]);
    expect(taskIdsFromQuery(`"id='a b'"`, parse)).toEqual(["a b"]);
    expect(taskIdsFromQuery(`"id=^x^||id='y'"`, parse)).toEqual(["x", "y"]);
    expect(() => taskIdsFromQuery(`"status='QUEUED'"`, parse)).toThrow();
    expect(() => taskIdsFromQuery(`"id="`, parse)).toThrow(/expected a value/);
  });
});
