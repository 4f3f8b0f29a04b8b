/**
 * Deterministic, realistic session records for the demo and the benchmarks: several
 * spaces, thousands of users, UI/integration/CI clients, private and public IPv4 and some
 * IPv6 addresses, license editions, and a mix of open, logged-out, revoked and expired
 * sessions spread over the year before `now`. The same seed gives the same records.
 */
import { createHash } from "node:crypto";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** mulberry32: a small, fast, well-distributed 32-bit PRNG. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  "Alice",
  "Bob",
  "Carol",
  "Dmitri",
  "Elena",
  "Farid",
  "Grace",
  "Hiro",
  "Ines",
  "Jonas",
  "Keiko",
  "Liam",
  "Maya",
  "Nikolai",
  "Olga",
  "Pedro",
  "Quinn",
  "Rosa",
  "Sven",
  "Tariq",
  "Uma",
  "Viktor",
  "Wen",
  "Ximena",
  "Yusuf",
  "Zoë",
  "Émile",
  "Åsa",
];
const LAST = [
  "Adams",
  "Brown",
  "Chen",
  "Dubois",
  "Eriksen",
  "Fischer",
  "García",
  "Haddad",
  "Ivanova",
  "Jensen",
  "Kowalski",
  "Lopez",
  "Müller",
  "Nakamura",
  "O'Brien",
  "Patel",
  "Rossi",
  "Schmidt",
  "Tanaka",
  "Usman",
  "Varga",
  "Weber",
  "Yilmaz",
  "Zhang",
];
const CLIENTS = [
  // [client type, access type, weight]
  ["UI", "UI", 70],
  ["Integration", "API", 18],
  ["CI", "API", 12],
];
const EDITIONS = [
  ["Enterprise", 45],
  ["Pro", 25],
  ["Team", 15],
  [null, 15],
];
const AGENTS = [
  [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Chrome",
    "Windows",
    "desktop",
  ],
  [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Safari",
    "macOS",
    "desktop",
  ],
  [
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Firefox",
    "Linux",
    "desktop",
  ],
  [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mobile Safari",
    "iOS",
    "mobile",
  ],
  [
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Chrome",
    "Android",
    "mobile",
  ],
  [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Edge",
    "Windows",
    "desktop",
  ],
];
const API_AGENTS = [
  ["octane-java-sdk/16.1.100", null, null, null],
  ["python-requests/2.32.3", null, null, null],
  ["jenkins-octane-plugin/6.8", null, null, null],
];
const PLACES = [
  ["Lisbon", "PT"],
  ["Berlin", "DE"],
  ["Austin", "US"],
  ["Seattle", "US"],
  ["Bangalore", "IN"],
  ["Tokyo", "JP"],
  ["Haifa", "IL"],
  ["São Paulo", "BR"],
  [null, null],
];

function weighted(next, options) {
  const total = options.reduce((sum, option) => sum + option.at(-1), 0);
  let pick = next() * total;
  for (const option of options) {
    pick -= option.at(-1);
    if (pick < 0) return option;
  }
  return options.at(-1);
}

const pick = (next, list) => list[Math.floor(next() * list.length)];

function ip(next) {
  const r = next();
  const octet = () => Math.floor(next() * 256);
  if (r < 0.55) return `10.${octet()}.${octet()}.${octet()}`;
  if (r < 0.7) return `192.168.${octet()}.${octet()}`;
  if (r < 0.8) return `172.${16 + Math.floor(next() * 16)}.${octet()}.${octet()}`;
  if (r < 0.93) return `${1 + Math.floor(next() * 222)}.${octet()}.${octet()}.${octet()}`;
  return `2001:db8:${Math.floor(next() * 0xffff).toString(16)}::${Math.floor(next() * 0xffff).toString(16)}`;
}

/** The demo's spaces (tenants): Octane shared-space ids and a Cognite-style org name each. */
export const SPACES = ["1001", "1002", "2001", "3001"];

/**
 * Yields `count` session records (the store's shape, secret hash included) for `SPACES`.
 * User `220001` (the seed document's example) has sessions in space 1001 throughout.
 */
export function* generateSessions({
  count,
  seed = 1,
  now = Date.now(),
  users = 5000,
  spaces = SPACES,
}) {
  const next = random(seed);
  const people = Array.from({ length: users }, (_, i) => {
    const first = pick(next, FIRST);
    const last = pick(next, LAST);
    const id = String(220001 + i);
    const login = `${first}.${last}${i}`
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9.]/g, "");
    return {
      id,
      login,
      fullName: `${first} ${last}`,
      email: `${login}@example.com`,
      space: i === 0 ? spaces[0] : pick(next, spaces),
    };
  });
  const idle = 30 * MINUTE;
  const lifetime = 10 * HOUR;
  for (let i = 0; i < count; i++) {
    // One session in twenty belongs to user 220001 so the seed's user filter finds plenty.
    const person = i % 20 === 0 ? people[0] : people[Math.floor(next() ** 1.3 * users)];
    const [clientType, accessType] = weighted(next, CLIENTS);
    const [userAgent, browser, os, device] =
      accessType === "UI" ? pick(next, AGENTS) : pick(next, API_AGENTS);
    const [city, country] = pick(next, PLACES);
    const [edition] = weighted(next, EDITIONS);
    const recent = next() < 0.04;
    // Most sessions lie in the past year; a few are from the last hours and may still be open.
    const createdAt = Math.floor(
      recent ? now - next() * 9 * HOUR : now - 12 * HOUR - next() * 360 * DAY,
    );
    const activeFor = Math.floor(next() ** 2 * 8 * HOUR);
    const lastActivityAt = Math.min(createdAt + activeFor, now);
    const absoluteExpiresAt = createdAt + lifetime;
    const expiresAt = Math.min(lastActivityAt + idle, absoluteExpiresAt);
    const fate = next();
    let status = "ACTIVE";
    let endReason = null;
    let endedAt = null;
    if (expiresAt > now) {
      if (fate < 0.15) [status, endReason, endedAt] = ["LOGGED_OUT", "LOGOUT", lastActivityAt];
      else if (fate < 0.2)
        [status, endReason, endedAt] = ["REVOKED", "REVOKED", Math.min(lastActivityAt + 1000, now)];
    } else if (fate < 0.55) {
      [status, endReason, endedAt] = ["LOGGED_OUT", "LOGOUT", lastActivityAt];
    } else if (fate < 0.62) {
      [status, endReason, endedAt] = [
        "REVOKED",
        "REVOKED",
        Math.min(lastActivityAt + 60_000, expiresAt),
      ];
    } else if (fate < 0.95) {
      // Swept by the sweep: stored EXPIRED.
      status = "EXPIRED";
      endReason = expiresAt >= absoluteExpiresAt ? "MAX_LIFETIME" : "IDLE_TIMEOUT";
      endedAt = expiresAt;
    }
    // The rest lapsed since the last sweep and stay stored ACTIVE; reads report them EXPIRED.
    const id = `s${seed.toString(36)}${i.toString(36).padStart(8, "0")}`;
    yield {
      id,
      tenantId: person.space,
      sessionIdentifier:
        clientType === "UI"
          ? `JSESSIONID-${createHash("md5").update(id).digest("hex").slice(0, 16).toUpperCase()}`
          : null,
      user: { id: person.id, login: person.login, fullName: person.fullName, email: person.email },
      clientType,
      accessType,
      clientIp: ip(next),
      serverIp: `10.244.0.${1 + (i % 8)}`,
      userAgent,
      clientInfo: browser ? { browser, os, device } : null,
      city,
      country,
      licenseEdition: edition,
      status,
      endReason,
      createdAt,
      lastActivityAt,
      expiresAt,
      absoluteExpiresAt,
      endedAt,
      attributes: null,
      secretHash: createHash("sha256").update(`demo-secret-${id}`).digest("hex"),
    };
  }
}
