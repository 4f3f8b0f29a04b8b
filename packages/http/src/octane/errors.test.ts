/**
 * Bad requests get the right 4xx with Octane's error body, and the server keeps serving:
 * after every failure, a good request still succeeds.
 */
import { StorageError } from "@session-ledger/core";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, KEYS, type TestApp } from "../test-support/octane-app.js";

const RANGE = "creation_time>^2026-02-01T00:00:00Z^;creation_time<^2026-02-21T00:00:00Z^";
const LIST = `/api/shared_spaces/1001/sessions?query="(${RANGE})"`;

let t: TestApp;
let openId: string;
beforeAll(async () => {
  t = await createTestApp();
  openId = (await t.all("1001")).find((s) => s.endedAt === null)!.id;
});
afterAll(() => t.close());

interface Case {
  name: string;
  send: () => request.Test;
  status: number;
  code: string;
  description: string | RegExp;
  properties?: Record<string, unknown> | null;
}

const admin = (test: request.Test) => test.set("X-API-KEY", KEYS.admin);
const terminate = (query: string, key: string = KEYS.admin) =>
  request(t.app).put(`/api/shared_spaces/1001/sessions?query=${query}`).set("X-API-KEY", key);

const cases: Case[] = [
  {
    name: "a malformed query, with the position of the fault",
    send: () =>
      admin(request(t.app).get(`/api/shared_spaces/1001/sessions?query="(creation_time>;"`)),
    status: 400,
    code: "platform.query_syntax_error",
    description: "query: expected a value after 'creation_time>' at 16",
    properties: { parameter: "query", position: 16 },
  },
  {
    name: "an unknown field in the query",
    send: () =>
      admin(request(t.app).get(`/api/shared_spaces/1001/sessions?query="(${RANGE};colour='red')"`)),
    status: 400,
    code: "platform.invalid_query",
    description: /unknown field 'colour'/,
  },
  {
    name: "a query longer than the limit",
    send: () =>
      admin(
        request(t.app).get(
          `/api/shared_spaces/1001/sessions?query=${encodeURIComponent(`"(${RANGE};city='${"x".repeat(4100)}')"`)}`,
        ),
      ),
    status: 400,
    code: "platform.invalid_query",
    description: "query: longer than the limit of 4096 characters at 4096",
    properties: { parameter: "query", position: 4096 },
  },
  {
    name: "an unknown field in fields=",
    send: () => admin(request(t.app).get(`${LIST}&fields=id,colour`)),
    status: 400,
    code: "platform.illegal_field_value",
    description: /fields: unknown field 'colour' at 3/,
    properties: { parameter: "fields", position: 3 },
  },
  {
    name: "an unsortable order_by",
    send: () => admin(request(t.app).get(`${LIST}&order_by=-client_info`)),
    status: 400,
    code: "platform.illegal_field_value",
    description: /order_by/,
  },
  {
    name: "limit=0",
    send: () => admin(request(t.app).get(`${LIST}&limit=0`)),
    status: 400,
    code: "platform.illegal_field_value",
    description: "limit must be an integer from 1 to 2000, got '0'",
    properties: { parameter: "limit" },
  },
  {
    name: "limit=5000",
    send: () => admin(request(t.app).get(`${LIST}&limit=5000`)),
    status: 400,
    code: "platform.illegal_field_value",
    description: "limit must be an integer from 1 to 2000, got '5000'",
  },
  {
    name: "a limit that is not an integer",
    send: () => admin(request(t.app).get(`${LIST}&limit=1e3`)),
    status: 400,
    code: "platform.illegal_field_value",
    description: /limit must be an integer/,
  },
  {
    name: "a negative offset",
    send: () => admin(request(t.app).get(`${LIST}&offset=-1`)),
    status: 400,
    code: "platform.illegal_field_value",
    description: /offset must be an integer from 0/,
  },
  {
    name: "limit given twice",
    send: () => admin(request(t.app).get(`${LIST}&limit=1&limit=2`)),
    status: 400,
    code: "platform.illegal_field_value",
    description: "limit must be given at most once, got 2 values",
  },
  {
    name: "a bad timezone",
    send: () =>
      admin(
        request(t.app).get(
          `/api/shared_spaces/1001/sessions/exports/file.xlsx?query="(${RANGE})"&timezone=UTC%2B99:00`,
        ),
      ),
    status: 400,
    code: "platform.illegal_field_value",
    description: /timezone must be UTC, UTC±HH:MM/,
    properties: { parameter: "timezone" },
  },
  {
    name: "a list without a creation range or an id",
    send: () => admin(request(t.app).get("/api/shared_spaces/1001/sessions")),
    status: 400,
    code: "platform.invalid_query",
    description: /at most 30 days/,
  },
  {
    name: "a creation range over 30 days",
    send: () =>
      admin(
        request(t.app).get(
          `/api/shared_spaces/1001/sessions/groups?group_by=user&query="(creation_time>^2026-01-01T00:00:00Z^;creation_time<^2026-02-15T00:00:00Z^)"`,
        ),
      ),
    status: 400,
    code: "platform.invalid_query",
    description: /at most 30 days/,
  },
  {
    name: "many 30-day windows OR-ed together",
    send: () =>
      admin(
        request(t.app).get(
          `/api/shared_spaces/1001/sessions?query="(creation_time BTW ^2025-01-01^...^2025-01-20^)||(creation_time BTW ^2026-01-01^...^2026-01-20^)"`,
        ),
      ),
    status: 400,
    code: "platform.invalid_query",
    description: /at most 30 days/,
  },
  {
    name: "groups without group_by",
    send: () =>
      admin(request(t.app).get(`/api/shared_spaces/1001/sessions/groups?query="(${RANGE})"`)),
    status: 400,
    code: "platform.illegal_field_value",
    description: /group_by is required/,
  },
  {
    name: "a group_by field that cannot be grouped",
    send: () =>
      admin(
        request(t.app).get(
          `/api/shared_spaces/1001/sessions/groups?group_by=last_activity_time&query="(${RANGE})"`,
        ),
      ),
    status: 400,
    code: "platform.illegal_field_value",
    description: /'last_activity_time' cannot be grouped by/,
  },
  {
    name: "a terminate body that does not close",
    send: () => terminate(`"id='${openId}'"`).send({ data: [{ is_closed: false }] }),
    status: 400,
    code: "platform.illegal_field_value",
    description: /body: data\[0\]\.is_closed must be true/,
    properties: { parameter: "body" },
  },
  {
    name: "a terminate body that is not JSON",
    send: () =>
      terminate(`"id='${openId}'"`)
        .set("Content-Type", "application/json")
        .send('{"data":[{"is_closed":tru'),
    status: 400,
    code: "platform.illegal_field_value",
    description: /body: not valid JSON/,
  },
  {
    name: "a terminate body with extra properties",
    send: () => terminate(`"id='${openId}'"`).send({ data: [{ is_closed: true, name: "x" }] }),
    status: 400,
    code: "platform.illegal_field_value",
    description: /unexpected property 'name'/,
  },
  {
    name: "a terminate with an empty data list",
    send: () => terminate(`"id='${openId}'"`).send({ data: [] }),
    status: 400,
    code: "platform.illegal_field_value",
    description: /data must be a non-empty array/,
  },
  {
    name: "a terminate without a body",
    send: () => terminate(`"id='${openId}'"`).set("Content-Type", "application/json"),
    status: 400,
    code: "platform.illegal_field_value",
    description: "a JSON body is required",
  },
  {
    name: "a terminate body sent as a form",
    send: () => terminate(`"id='${openId}'"`).type("form").send("is_closed=true"),
    status: 415,
    code: "platform.unsupported_media_type",
    description: /Content-Type: application\/json/,
  },
  {
    name: "a terminate query that is not a list of ids",
    send: () => terminate(`"(user={id=220001})"`).send({ data: [{ is_closed: true }] }),
    status: 400,
    code: "platform.illegal_field_value",
    description: /may only list session ids/,
  },
  {
    name: "a terminate without any ids",
    send: () => terminate("").send({ data: [{ is_closed: true }] }),
    status: 400,
    code: "platform.illegal_field_value",
    description: /data\[0\]\.id must be a session id/,
  },
  {
    name: "ids both in the query and in the body",
    send: () => terminate(`"id='${openId}'"`).send({ data: [{ id: openId, is_closed: true }] }),
    status: 400,
    code: "platform.illegal_field_value",
    description: /either in the query or in the body, not both/,
  },
  {
    name: "a background_tasks poll without a query",
    send: () => admin(request(t.app).get("/api/shared_spaces/1001/background_tasks?fields=status")),
    status: 400,
    code: "platform.illegal_field_value",
    description: /query is required/,
  },
  {
    name: "an unknown background task field",
    send: () =>
      admin(
        request(t.app).get(`/api/shared_spaces/1001/background_tasks?fields=colour&query="id=x"`),
      ),
    status: 400,
    code: "platform.illegal_field_value",
    description: /unknown background task field 'colour'/,
  },
  {
    name: "another space than the key's",
    send: () =>
      request(t.app)
        .get(`/api/shared_spaces/1001/sessions?query="(${RANGE})"`)
        .set("X-API-KEY", KEYS.space1002),
    status: 403,
    code: "platform.forbidden",
    description: "no access to shared space '1001'",
  },
  {
    name: "no key",
    send: () => request(t.app).get(LIST),
    status: 401,
    code: "platform.unauthorized",
    description: /authentication required/,
  },
  {
    name: "an unknown key",
    send: () => request(t.app).get(LIST).set("Authorization", "Bearer not-a-key"),
    status: 401,
    code: "platform.unauthorized",
    description: /authentication required/,
  },
  {
    name: "a read-only key terminating",
    send: () => terminate(`"id='${openId}'"`, KEYS.reader).send({ data: [{ is_closed: true }] }),
    status: 403,
    code: "platform.forbidden",
    description: "this operation needs the 'sessions:terminate' permission",
  },
  {
    name: "a key without the export permission exporting",
    send: () =>
      request(t.app)
        .get(`/api/shared_spaces/1002/sessions/csv_exports?query="(${RANGE})"`)
        .set("X-API-KEY", KEYS.space1002),
    status: 403,
    code: "platform.forbidden",
    description: "this operation needs the 'sessions:export' permission",
  },
];

describe("Octane errors", () => {
  it.each(cases)("should answer $status for $name, then keep serving", async (c) => {
    const res = await c.send();
    expect(res.status, res.text).toBe(c.status);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    const correlationId = res.headers["x-correlation-id"];
    expect(correlationId).toMatch(/^[0-9a-z]{25}$/);
    expect(res.body).toMatchObject({
      error_code: c.code,
      correlation_id: correlationId,
      business_error: false,
    });
    expect(Object.keys(res.body)).toEqual([
      "error_code",
      "correlation_id",
      "description",
      "description_translated",
      "properties",
      "business_error",
    ]);
    if (typeof c.description === "string") expect(res.body.description).toBe(c.description);
    else expect(res.body.description).toMatch(c.description);
    expect(res.body.description_translated).toBe(res.body.description);
    if (c.properties !== undefined) expect(res.body.properties).toEqual(c.properties);
    if (c.status === 401) expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);

    const good = await admin(request(t.app).get(`${LIST}&limit=1`));
    expect(good.status).toBe(200);
    expect(good.body.data).toHaveLength(1);
    // The open session named above was never terminated by a rejected request.
    expect((await t.ledger.get("1001", openId))?.status).toBe("ACTIVE");
  });

  it("should accept every way the API key may be sent", async () => {
    const basic = Buffer.from(`anyone:${KEYS.admin}`).toString("base64");
    for (const [header, value] of [
      ["X-API-KEY", KEYS.admin],
      ["Authorization", `Bearer ${KEYS.admin}`],
      ["Authorization", `Basic ${basic}`],
    ] as const) {
      const res = await request(t.app).get(`${LIST}&limit=1`).set(header, value);
      expect(res.status, header).toBe(200);
    }
  });

  it("should echo a well-formed X-Correlation-ID and replace a malformed one", async () => {
    const echoed = await admin(request(t.app).get(`${LIST}&limit=0`)).set(
      "X-Correlation-ID",
      "client-trace-0001",
    );
    expect(echoed.headers["x-correlation-id"]).toBe("client-trace-0001");
    expect(echoed.body.correlation_id).toBe("client-trace-0001");
    const replaced = await admin(request(t.app).get(`${LIST}&limit=1`)).set(
      "X-Correlation-ID",
      "bad id; with <markup>",
    );
    expect(replaced.status).toBe(200);
    expect(replaced.headers["x-correlation-id"]).toMatch(/^[0-9a-z]{25}$/);
  });

  it("should refuse a terminate query naming more sessions than maxTerminateIds as an invalid query, however it lists them", async () => {
    const small = await createTestApp({ seed: false, router: { limits: { maxTerminateIds: 3 } } });
    try {
      for (const query of ["id IN 'a','b','c','d'", "id='a';id='b';id='c';id='d'"]) {
        const res = await request(small.app)
          .put(`/api/shared_spaces/1001/sessions?query=${encodeURIComponent(`"(${query})"`)}`)
          .set("X-API-KEY", KEYS.admin)
          .send({ data: [{ is_closed: true }] });
        expect(res.status, query).toBe(400);
        expect(res.body.error_code, query).toBe("platform.invalid_query");
        expect(res.body.properties.parameter, query).toBe("query");
      }
      const three = await request(small.app)
        .put(
          `/api/shared_spaces/1001/sessions?query=${encodeURIComponent(`"(id IN 'a','b','c')"`)}`,
        )
        .set("X-API-KEY", KEYS.admin)
        .send({ data: [{ is_closed: true }] });
      expect(three.status).toBe(202);
    } finally {
      await small.close();
    }
  });

  it("should answer 413 for a terminate body over the limit", async () => {
    const small = await createTestApp({ seed: false, router: { limits: { maxBodyBytes: 1000 } } });
    try {
      const res = await request(small.app)
        .put("/api/shared_spaces/1001/sessions")
        .set("X-API-KEY", KEYS.admin)
        .send({
          data: Array.from({ length: 100 }, (_, i) => ({ id: `id-${i}`, is_closed: true })),
        });
      expect(res.status).toBe(413);
      expect(res.body.error_code).toBe("platform.payload_too_large");
    } finally {
      await small.close();
    }
  });

  it("should answer 500 with Octane's generic body for an unexpected failure, log it, and keep serving", async () => {
    let fail = true;
    const broken = await createTestApp({ seed: false });
    const faulty = await createTestApp({
      seed: false,
      router: {
        ledger: {
          ...broken.ledger,
          async list(tenantId, options) {
            if (fail) throw new TypeError("cannot read properties of undefined (secret internals)");
            return broken.ledger.list(tenantId, options);
          },
        },
      },
    });
    try {
      const res = await admin(request(faulty.app).get(`${LIST}&limit=1`));
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        error_code: "platform.general_error",
        correlation_id: res.headers["x-correlation-id"],
        description: "General error occurred",
        description_translated: "General error occurred",
        properties: null,
        business_error: false,
      });
      expect(res.text).not.toContain("secret");
      expect(faulty.errors).toHaveLength(1);
      fail = false;
      expect((await admin(request(faulty.app).get(`${LIST}&limit=1`))).status).toBe(200);
    } finally {
      await faulty.close();
      await broken.close();
    }
  });

  it("should answer 503 when the store fails, without the driver's text", async () => {
    const base = await createTestApp({ seed: false });
    const failing = await createTestApp({
      seed: false,
      router: {
        ledger: {
          ...base.ledger,
          async group() {
            throw new StorageError("SQLITE_BUSY: database is locked at /var/db/secret.db");
          },
        },
      },
    });
    try {
      const res = await admin(
        request(failing.app).get(
          `/api/shared_spaces/1001/sessions/groups?group_by=user&query="(${RANGE})"`,
        ),
      );
      expect(res.status).toBe(503);
      expect(res.body.error_code).toBe("platform.service_unavailable");
      expect(res.text).not.toContain("secret.db");
    } finally {
      await failing.close();
      await base.close();
    }
  });
});
