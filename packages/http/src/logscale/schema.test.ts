import { createMemoryStore, createSessionLedger } from "@session-ledger/core";
import { graphql } from "graphql";
import { beforeEach, describe, expect, it } from "vitest";
import type { LogScaleContext } from "./resolvers.js";
import { createLogScaleSchema } from "./schema.js";

const schema = createLogScaleSchema();
const ORG = "acme";

describe("LogScale schema", () => {
  let ledger: ReturnType<typeof createSessionLedger>;
  let now: number;
  let context: LogScaleContext;
  const permissions = new Set(["sessions:read", "sessions:terminate", "sessions:settings"]);

  beforeEach(async () => {
    now = Date.UTC(2026, 5, 1);
    ledger = createSessionLedger({ store: createMemoryStore(), clock: () => now });
    const users = [
      ["u1", "steve@company.com"],
      ["u2", "bob@company.com"],
      ["u3", "eve@elsewhere.org"],
    ];
    for (const [i, [id, login]] of users.entries()) {
      now += 1000;
      await ledger.create({
        tenantId: ORG,
        user: { id: id!, login: login! },
        clientIp: `10.0.0.${i + 1}`,
      });
    }
    const mine = await ledger.create({
      tenantId: ORG,
      user: { id: "u1", login: "steve@company.com" },
      clientInfo: { browser: "Firefox", os: "Linux", device: null },
    });
    await ledger.create({ tenantId: "other", user: { id: "u9", login: "steve@company.com" } });
    context = {
      ledger,
      tenantId: ORG,
      userId: "u1",
      sessionId: mine.session.id,
      can: (p) => permissions.has(p),
    };
  });

  const run = (source: string) => graphql({ schema, source, contextValue: context });

  it("should answer the documented example with the users matching the search, sorted by user descending", async () => {
    const result = await run(`query{
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
}`);
    expect(result.errors).toBeUndefined();
    const data = result.data as {
      sessions: { totalResults: number; results: { user: { username: string } }[] };
    };
    expect(data.sessions.totalResults).toBe(3);
    expect(data.sessions.results.map((r) => r.user.username)).toEqual([
      "steve@company.com",
      "steve@company.com",
      "bob@company.com",
    ]);
  });

  it("should apply the documented defaults: active only, last activity ascending, 50 at most", async () => {
    const first = (await ledger.list(ORG, {})).items.at(-1)!;
    await ledger.terminate(ORG, first.id);
    const result = await run(
      "{ sessions { totalResults results { id ip lastActivityAt isCurrentSession clientInfo } } }",
    );
    const data = result.data as {
      sessions: {
        totalResults: number;
        results: {
          id: string;
          lastActivityAt: number;
          isCurrentSession: boolean;
          clientInfo: string;
        }[];
      };
    };
    expect(data.sessions.totalResults).toBe(3);
    const times = data.sessions.results.map((r) => r.lastActivityAt);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(data.sessions.results.filter((r) => r.isCurrentSession)).toHaveLength(1);
    expect(data.sessions.results.find((r) => r.isCurrentSession)?.clientInfo).toBe(
      "Firefox on Linux",
    );
  });

  it("should list only the caller's own sessions at level User", async () => {
    const result = await run("{ sessions(level: User) { totalResults results { user { id } } } }");
    const data = result.data as {
      sessions: { totalResults: number; results: { user: { id: string } }[] };
    };
    expect(data.sessions.totalResults).toBe(2);
    expect(data.sessions.results.every((r) => r.user.id === "u1")).toBe(true);
  });

  it("should revoke one session, a user's sessions, or the whole organization", async () => {
    /** The open sessions of a tenant, by user id. */
    const openUsers = async (tenantId: string) =>
      (await ledger.list(tenantId, {})).items
        .filter((session) => session.status === "ACTIVE")
        .map((session) => session.user.id)
        .sort();
    // One of u1's two sessions: the caller's own.
    const target = context.sessionId!;
    expect(await openUsers(ORG)).toEqual(["u1", "u1", "u2", "u3"]);
    const one = await run(
      `mutation { revokeSession(input: {id: "${target}", revocationType: Session}) }`,
    );
    expect(one.data).toEqual({ revokeSession: true });
    expect((await ledger.get(ORG, target))?.status).toBe("REVOKED");
    expect(await openUsers(ORG)).toEqual(["u1", "u2", "u3"]);
    const user = await run(`mutation { revokeSession(input: {id: "u2", revocationType: User}) }`);
    expect(user.data).toEqual({ revokeSession: true });
    expect(await openUsers(ORG)).toEqual(["u1", "u3"]);
    const organization = await run(
      `mutation { revokeSession(input: {id: "${ORG}", revocationType: Organization}) }`,
    );
    expect(organization.data).toEqual({ revokeSession: true });
    expect(await openUsers(ORG)).toEqual([]);
    expect(await openUsers("other")).toEqual(["u9"]);
  });

  it("should log the caller out of their own session", async () => {
    expect((await run("mutation { logoutOfSession }")).data).toEqual({ logoutOfSession: true });
    expect((await ledger.get(ORG, context.sessionId!))?.status).toBe("LOGGED_OUT");
  });

  it("should persist session settings in milliseconds and read them back", async () => {
    const result = await run(
      "mutation { updateSessionSettings(input: {maxInactivityPeriod: 36000000, forceReauthenticationAfter: 8640000000}) { id configs { session { maxInactivityPeriod forceReauthenticationAfter } } } }",
    );
    expect(result.data).toEqual({
      updateSessionSettings: {
        id: ORG,
        configs: {
          session: { maxInactivityPeriod: 36_000_000, forceReauthenticationAfter: 8_640_000_000 },
        },
      },
    });
    expect(await ledger.getPolicy(ORG)).toMatchObject({
      idleTimeoutMs: 36_000_000,
      maxLifetimeMs: 8_640_000_000,
    });
  });

  it("should reject bad input with standard GraphQL errors", async () => {
    const cases: [string, string][] = [
      ["{ sessions(sortBy: Nope) { totalResults } }", "Nope"],
      ["{ sessions(limit: 0) { totalResults } }", "limit must be from 1"],
      ["{ sessions(limit: 5000) { totalResults } }", "limit must be from 1"],
      ["{ sessions(skip: -1) { totalResults } }", "skip must not be negative"],
      [
        `mutation { revokeSession(input: {id: "missing", revocationType: Session}) }`,
        "no session 'missing'",
      ],
      [`mutation { revokeSession(input: {id: "x", revocationType: Everything}) }`, "Everything"],
      [
        "mutation { updateSessionSettings(input: {maxInactivityPeriod: -5, forceReauthenticationAfter: 10}) { id } }",
        "input.maxInactivityPeriod: idleTimeoutMs must be an integer number of milliseconds between 60000",
      ],
      // Below the ledger's one-minute minimums.
      [
        "mutation { updateSessionSettings(input: {maxInactivityPeriod: 30, forceReauthenticationAfter: 3600000}) { id } }",
        "input.maxInactivityPeriod: idleTimeoutMs must be an integer number of milliseconds between 60000",
      ],
      [
        "mutation { updateSessionSettings(input: {maxInactivityPeriod: 60000, forceReauthenticationAfter: 15}) { id } }",
        "input.forceReauthenticationAfter: maxLifetimeMs must be an integer number of milliseconds between 60000",
      ],
    ];
    for (const [source, message] of cases) {
      const result = await run(source);
      expect(result.errors?.[0]?.message, source).toContain(message);
      if (source.includes("updateSessionSettings")) {
        expect(result.errors?.[0]?.extensions?.code, source).toBe("BAD_USER_INPUT");
      }
    }
  });

  it("should refuse the organization listing and mutations without the permissions", async () => {
    context = { ...context, can: () => false };
    const denied = await run("{ sessions { totalResults } }");
    expect(denied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await run("{ sessions(level: User) { totalResults } }")).errors).toBeUndefined();
    expect(
      (await run(`mutation { revokeSession(input: {id: "u2", revocationType: User}) }`)).errors?.[0]
        ?.extensions?.code,
    ).toBe("FORBIDDEN");
  });
});
