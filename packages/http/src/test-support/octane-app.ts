/**
 * An Express app with the Octane router over a memory-store ledger on a settable clock,
 * filled with realistic sessions in January–February 2026 across three spaces. Shared by
 * the HTTP tests; not part of the package's public surface.
 */
import type { SessionLedger, SessionStore } from "@session-ledger/core";
import express, { type Express } from "express";
import { createOctaneRouter, type OctaneRouterOptions } from "../adapters/express.js";
import { apiKeyAuthenticator } from "../admin/api-key.js";
import type { Principal } from "../admin/principal.js";
import { createTestLedger, type TestLedger } from "./ledger.js";

export const NOW = Date.parse("2026-02-20T12:00:00.000Z");
export const SPACES = ["1001", "1002", "2001"] as const;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const KEYS = {
  admin: "admin-key-0123456789",
  reader: "reader-key-0123456789",
  space1002: "space1002-key-0123456789",
} as const;

const PRINCIPALS: Record<string, Principal> = {
  [KEYS.admin]: {
    id: "admin",
    tenants: "*",
    permissions: ["sessions:read", "sessions:terminate", "sessions:export", "sessions:settings"],
  },
  [KEYS.reader]: {
    id: "auditor",
    tenants: "*",
    permissions: new Set(["sessions:read", "sessions:export"]),
  },
  [KEYS.space1002]: {
    id: "space-1002-admin",
    tenants: ["1002"],
    permissions: ["sessions:read", "sessions:terminate"],
  },
};

export const USERS = [
  { id: "220001", login: "alice.adams", fullName: "Alice Adams", email: "alice.adams@example.com" },
  { id: "220002", login: "bob.brown", fullName: "Bob Brown", email: "bob.brown@example.com" },
  { id: "220003", login: "carol.chen", fullName: "Carol Chen", email: null },
  { id: "220004", login: "dmitri.dubois", fullName: "Dmitri Dubois", email: "dd@example.com" },
  { id: "220005", login: "elena.eriksen", fullName: null, email: "elena@example.com" },
  { id: "220006", login: "zoë.müller", fullName: "Zoë Müller", email: "zoe@example.com" },
] as const;

const CLIENTS = [
  ["UI", "UI"],
  ["Integration", "API"],
  ["CI", "API"],
] as const;
const EDITIONS = ["Enterprise", "Pro", null, "Enterprise", "Team"] as const;
const AGENTS = [
  [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    { browser: "Chrome", os: "Windows", device: "desktop" },
  ],
  [
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    { browser: "Firefox", os: "Linux", device: "desktop" },
  ],
] as const;

export interface TestApp extends TestLedger {
  app: Express;
  /** What the router handed `onError`. */
  errors: unknown[];
}

export interface TestAppOptions {
  /** Fill the spaces with the standard data. @default true */
  seed?: boolean;
  router?: Partial<OctaneRouterOptions>;
  /** Replaces the ledger the task runner works with (to inject failures). */
  runnerLedger?: (ledger: SessionLedger) => SessionLedger;
  batchSize?: number;
  batchRetryDelaysMs?: readonly number[];
  /** @default a memory store */
  store?: SessionStore;
}

/** Builds the app; its task runner polls every 10 ms until `close()`. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const harness = createTestLedger({ now: NOW, ...options });
  const { ledger, taskRunner } = harness;
  if (options.seed ?? true) {
    await seedSessions(ledger, harness.setNow);
    harness.setNow(NOW);
  }
  const errors: unknown[] = [];
  const app = express();
  app.use(
    createOctaneRouter({
      ledger,
      taskRunner,
      authenticate: apiKeyAuthenticator({ keys: PRINCIPALS }),
      onError: (error) => errors.push(error),
      ...options.router,
    }),
  );
  return { ...harness, app, errors };
}

/**
 * 420 sessions from 2026-01-05 to 2026-02-20: every third belongs to user 220001, spaces
 * rotate, about a third are logged out or revoked soon after starting and the rest lapse,
 * and the last half hour holds open sessions in every space.
 */
async function seedSessions(ledger: SessionLedger, setNow: (ms: number) => void): Promise<void> {
  const start = Date.parse("2026-01-05T08:00:00.000Z");
  for (let i = 0; i < 420; i++) {
    const at = start + i * 2 * HOUR + (i % 7) * 11 * MINUTE + (i % 5) * 1234;
    setNow(at);
    const user = i % 3 === 0 ? USERS[0] : USERS[(i % (USERS.length - 1)) + 1]!;
    const [clientType, accessType] = CLIENTS[i % CLIENTS.length]!;
    const [userAgent, clientInfo] = AGENTS[i % AGENTS.length]!;
    const { session } = await ledger.create({
      tenantId: SPACES[i % SPACES.length]!,
      user,
      clientType,
      accessType,
      sessionIdentifier:
        clientType === "UI" ? `JSESSIONID-${i.toString(16).padStart(6, "0")}` : null,
      clientIp:
        i % 11 === 0 ? `2001:db8::${i.toString(16)}` : `10.${i % 4}.${(i * 7) % 256}.${i % 250}`,
      userAgent: accessType === "UI" ? userAgent : "octane-java-sdk/16.1.100",
      clientInfo: accessType === "UI" ? clientInfo : null,
      licenseEdition: EDITIONS[i % EDITIONS.length]!,
      city: i % 2 === 0 ? "Lisbon" : "Haifa",
      country: i % 2 === 0 ? "PT" : "IL",
    });
    if (i % 3 === 1) {
      setNow(at + 17 * MINUTE);
      await ledger.logout(session.tenantId, session.id);
    } else if (i % 9 === 2) {
      setNow(at + 5 * MINUTE);
      await ledger.terminate(session.tenantId, session.id);
    }
  }
  for (let i = 0; i < 12; i++) {
    setNow(NOW - 28 * MINUTE + i * 2 * MINUTE);
    await ledger.create({
      tenantId: SPACES[i % SPACES.length]!,
      user: USERS[i % USERS.length]!,
      clientIp: `192.168.1.${10 + i}`,
      licenseEdition: i % 2 === 0 ? "Enterprise" : "Pro",
    });
  }
}
