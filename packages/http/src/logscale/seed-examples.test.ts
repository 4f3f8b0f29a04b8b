/**
 * Seed 001 (LogScale's `sessions()` GraphQL query) and the mutations of seed-apis §C against
 * the admin app: the documents and request bodies exactly as the seed writes them, the
 * signed-in user's own sessions, and errors as GraphQL-over-HTTP answers them.
 */
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  type AdminApp,
  APP_NOW,
  APP_SPACE,
  READONLY_KEY,
  startAdminApp,
} from "../test-support/admin-app.js";

/** The seed's GraphQL document, character for character (note the space after `false`). */
const SEED_DOCUMENT = `query{
  sessions(
    searchFilter: "company.com"
    limit: 10
    skip: 0
    onlyActiveSessions: false 
    level: Organization
    sortBy: User
    orderBy: DESC
  )
  {totalResults, results {id, user{username}}}
}`;

/** The body of the seed's curl heredoc (`-d @- << EOF … EOF`), as the shell hands it to curl. */
const SEED_HEREDOC = `{"query" : "query{
  sessions(
    searchFilter: \\"company.com\\"
    limit: 10
    skip: 0
    onlyActiveSessions: false 
    level: Organization
    sortBy: User
    orderBy: DESC
  )
  {totalResults, results {id, user{username}}}
}"
}
`;

let t: AdminApp;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startAdminApp();
  // The seed's users; the generated users all have @example.com addresses.
  const steve = { id: "u-steve", login: "steve@company.com", email: "steve@company.com" };
  const bob = { id: "u-bob", login: "bob@company.com", email: "bob@company.com" };
  t.setNow(APP_NOW - 10 * 60_000);
  ids.steve1 = (await t.ledger.create({ tenantId: APP_SPACE, user: steve })).session.id;
  t.setNow(APP_NOW - 9 * 60_000);
  ids.bob = (await t.ledger.create({ tenantId: APP_SPACE, user: bob })).session.id;
  t.setNow(APP_NOW - 8 * 60_000);
  ids.steve2 = (await t.ledger.create({ tenantId: APP_SPACE, user: steve })).session.id;
  await t.ledger.logout(APP_SPACE, ids.steve2);
  await t.ledger.create({ tenantId: "2001", user: steve });
  t.setNow(APP_NOW);
});
afterAll(() => t.close());

const graphql = (body: string | object, key: string | null = ADMIN_KEY) => {
  const call = request(t.app).post("/graphql").set("Content-Type", "application/json");
  if (key !== null) call.set("Authorization", `Bearer ${key}`);
  return call.send(body);
};

describe("seed 001: the sessions query", () => {
  const expected = () => ({
    data: {
      sessions: {
        totalResults: 3,
        // sortBy: User, orderBy: DESC: steve before bob; steve's two sessions by id.
        results: [
          ...[ids.steve1!, ids.steve2!].sort().map((id) => ({
            id,
            user: { username: "steve@company.com" },
          })),
          { id: ids.bob, user: { username: "bob@company.com" } },
        ],
      },
    },
  });

  it("should answer the seed's document sent as {query}", async () => {
    const res = await graphql({ query: SEED_DOCUMENT });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body).toEqual(expected());
  });

  it("should answer the seed's curl body, which curl -d @- sends with its line breaks removed", async () => {
    const res = await graphql(SEED_HEREDOC.replace(/[\r\n]/g, ""));
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expected());
  });

  it("should answer the body of the seed's Python and PowerShell examples, with raw line breaks inside the JSON string", async () => {
    const res = await graphql(SEED_HEREDOC.trimEnd());
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expected());
  });

  it("should apply the documented defaults: open sessions only, by last activity ascending, 50 at most", async () => {
    const res = await graphql({
      query: "{ sessions { totalResults results { id lastActivityAt isCurrentSession } } }",
    });
    expect(res.status).toBe(200);
    const open = (await t.all(APP_SPACE)).filter((s) => s.status === "ACTIVE");
    expect(open.length).toBeGreaterThan(3);
    const { totalResults, results } = res.body.data.sessions;
    expect(totalResults).toBe(open.length);
    expect(results).toHaveLength(Math.min(50, open.length));
    const ordered = [...open].sort(
      (a, b) => a.lastActivityAt - b.lastActivityAt || (a.id < b.id ? -1 : 1),
    );
    expect(results.map((r: { id: string }) => r.id)).toEqual(ordered.slice(0, 50).map((s) => s.id));
    // An API key has no session of its own.
    expect(results.every((r: { isCurrentSession: boolean }) => !r.isCurrentSession)).toBe(true);
  });

  it("should return every Session field of the schema", async () => {
    const res = await graphql({
      query: `{ sessions(searchFilter: "steve", onlyActiveSessions: false, sortBy: LoginTime, limit: 1) {
        results { id clientInfo city country ip user { id username email } createdAt lastActivityAt isCurrentSession } } }`,
    });
    expect(res.status).toBe(200);
    const session = await t.ledger.get(APP_SPACE, ids.steve1!);
    expect(res.body.data.sessions.results).toEqual([
      {
        id: ids.steve1,
        clientInfo: "",
        city: null,
        country: null,
        ip: "",
        user: { id: "u-steve", username: "steve@company.com", email: "steve@company.com" },
        createdAt: session!.createdAt,
        lastActivityAt: session!.lastActivityAt,
        isCurrentSession: false,
      },
    ]);
  });

  it("should act in the organization the X-Tenant-Id header names", async () => {
    const res = await graphql({
      query: `{ sessions(searchFilter: "company.com", onlyActiveSessions: false) { totalResults } }`,
    }).set("X-Tenant-Id", "2001");
    expect(res.body).toEqual({ data: { sessions: { totalResults: 1 } } });
  });
});

describe("seed 001: the mutations", () => {
  it("should revoke one session with the mutation of the documentation, as written", async () => {
    await t.insert({ id: "ZI14EqR5x8AHSJeBQLm6FfZmjLXOOKOU", tenantId: APP_SPACE });
    const res = await graphql({
      query: `mutation{ revokeSession(input:{id:"ZI14EqR5x8AHSJeBQLm6FfZmjLXOOKOU", revocationType:Session}) }`,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { revokeSession: true } });
    expect((await t.ledger.get(APP_SPACE, "ZI14EqR5x8AHSJeBQLm6FfZmjLXOOKOU"))?.status).toBe(
      "REVOKED",
    );
  });

  it("should revoke every session of a user with revocationType User, in this organization only", async () => {
    const user = { id: "u-many", login: "many@company.com" };
    for (let i = 0; i < 3; i++) await t.ledger.create({ tenantId: APP_SPACE, user });
    const elsewhere = await t.ledger.create({ tenantId: "2001", user });
    const res = await graphql({
      query: `mutation { revokeSession(input: {id: "u-many", revocationType: User}) }`,
    });
    expect(res.body).toEqual({ data: { revokeSession: true } });
    const mine = (await t.all(APP_SPACE)).filter((s) => s.user.id === "u-many");
    expect(mine.map((s) => s.status)).toEqual(["REVOKED", "REVOKED", "REVOKED"]);
    expect((await t.ledger.get("2001", elsewhere.session.id))?.status).toBe("ACTIVE");
  });

  it("should persist updateSessionSettings in milliseconds and read it back", async () => {
    const res = await graphql({
      query: `mutation { updateSessionSettings(input: {maxInactivityPeriod: 36000000, forceReauthenticationAfter: 8640000000}) {
        id configs { session { maxInactivityPeriod forceReauthenticationAfter } } } }`,
    }).set("X-Tenant-Id", "3001");
    expect(res.body).toEqual({
      data: {
        updateSessionSettings: {
          id: "3001",
          configs: {
            session: { maxInactivityPeriod: 36_000_000, forceReauthenticationAfter: 8_640_000_000 },
          },
        },
      },
    });
    expect(await t.ledger.getPolicy("3001")).toMatchObject({
      idleTimeoutMs: 36_000_000,
      maxLifetimeMs: 8_640_000_000,
    });
    const { session } = await t.ledger.create({
      tenantId: "3001",
      user: { id: "x", login: "x" },
    });
    expect(session.expiresAt - session.createdAt).toBe(36_000_000);
  });

  it("should list a signed-in user's own sessions, mark the current one, and log it out", async () => {
    const login = await request(t.app)
      .post("/login")
      .send({ login: "ann" })
      .set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0");
    expect(login.status).toBe(201);
    const cookie = String(login.headers["set-cookie"]).split(";")[0]!;
    const mine = await request(t.app).post("/graphql").set("Cookie", cookie).send({
      query:
        "{ sessions(level: User) { totalResults results { id clientInfo isCurrentSession } } }",
    });
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({
      data: {
        sessions: {
          totalResults: 1,
          results: [
            { id: login.body.id, clientInfo: "Firefox on Linux (desktop)", isCurrentSession: true },
          ],
        },
      },
    });
    // A signed-in user is no administrator.
    const organization = await request(t.app)
      .post("/graphql")
      .set("Cookie", cookie)
      .send({ query: "{ sessions { totalResults } }" });
    expect(organization.body.errors[0].extensions.code).toBe("FORBIDDEN");

    const logout = await request(t.app)
      .post("/graphql")
      .set("Cookie", cookie)
      .send({ query: "mutation { logoutOfSession }" });
    expect(logout.body).toEqual({ data: { logoutOfSession: true } });
    expect((await t.ledger.get(APP_SPACE, login.body.id))?.status).toBe("LOGGED_OUT");
    const after = await request(t.app)
      .post("/graphql")
      .set("Cookie", cookie)
      .send({ query: "mutation { logoutOfSession }" });
    expect(after.status).toBe(401);
  });
});

describe("seed 001: errors", () => {
  it("should answer 401 as a GraphQL error response without credentials", async () => {
    for (const key of [null, "not-a-key"]) {
      const res = await graphql({ query: SEED_DOCUMENT }, key);
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
      expect(res.body).toEqual({
        errors: [{ message: expect.any(String), extensions: { code: "UNAUTHENTICATED" } }],
      });
    }
  });

  it("should refuse an unknown enum value: 200 with errors for application/json, 400 for application/graphql-response+json", async () => {
    const query = "{ sessions(sortBy: Nope) { totalResults } }";
    const json = await graphql({ query });
    expect(json.status).toBe(200);
    expect(json.body.data).toBeUndefined();
    expect(json.body.errors[0].message).toContain("Nope");
    const strict = await graphql({ query }).set("Accept", "application/graphql-response+json");
    expect(strict.status).toBe(400);
    expect(strict.headers["content-type"]).toMatch(/^application\/graphql-response\+json/);
    expect(strict.body.errors[0].message).toContain("Nope");
    const level = await graphql({ query: "{ sessions(level: Everyone) { totalResults } }" });
    expect(level.body.errors[0].message).toContain("Everyone");
  });

  it("should refuse a limit out of range and a missing permission as field errors", async () => {
    for (const limit of [0, 1001]) {
      const res = await graphql({ query: `{ sessions(limit: ${limit}) { totalResults } }` });
      expect(res.status).toBe(200);
      expect(res.body.data).toBeNull();
      expect(res.body.errors[0]).toMatchObject({
        message: expect.stringContaining("limit must be from 1"),
        path: ["sessions"],
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
    const denied = await graphql(
      { query: `mutation { revokeSession(input: {id: "u-bob", revocationType: User}) }` },
      READONLY_KEY,
    );
    expect(denied.body.errors[0].extensions.code).toBe("FORBIDDEN");
    expect((await t.ledger.get(APP_SPACE, ids.bob!))?.status).toBe("ACTIVE");
  });

  it("should refuse malformed bodies, oversized documents and other methods", async () => {
    const malformed = await graphql('{"query": "{ sessions { totalResults } }"');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].message).toContain("JSON");
    const notObject = await graphql("[]");
    expect(notObject.status).toBe(400);
    const noQuery = await graphql({ variables: {} });
    expect(noQuery.status).toBe(400);
    expect(noQuery.body.errors[0].message).toContain("Missing query");
    const aliases = Array.from({ length: 11 }, (_, i) => `s${i}: sessions { totalResults }`);
    const tooMany = await graphql({ query: `{ ${aliases.join(" ")} }` });
    expect(tooMany.body.errors[0].message).toContain("at most 10");
    const tooLarge = await graphql({ query: `{ sessions { totalResults } }${" ".repeat(70_000)}` });
    expect(tooLarge.status).toBe(413);
    const get = await request(t.app).get("/graphql").set("Authorization", `Bearer ${ADMIN_KEY}`);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe("POST");
  });
});
