import type { SessionRecord } from "../model/session.js";

const MINUTE = 60_000;

/**
 * A complete, open stored session for tests that write to a store directly: every
 * descriptive field null, deadlines from `createdAt` by the default policy (30 min idle,
 * 10 h in all). Pass what the test is about in `overrides`.
 */
export function sessionRecord(
  overrides: Partial<SessionRecord> & Pick<SessionRecord, "id" | "tenantId">,
): SessionRecord {
  const createdAt = overrides.createdAt ?? Date.UTC(2026, 0, 1);
  return {
    sessionIdentifier: null,
    user: { id: "u-test", login: "test", fullName: null, email: null },
    clientType: "UI",
    accessType: "UI",
    clientIp: null,
    serverIp: null,
    userAgent: null,
    clientInfo: null,
    city: null,
    country: null,
    licenseEdition: null,
    status: "ACTIVE",
    endReason: null,
    createdAt,
    lastActivityAt: createdAt,
    expiresAt: createdAt + 30 * MINUTE,
    absoluteExpiresAt: createdAt + 600 * MINUTE,
    endedAt: null,
    attributes: null,
    secretHash: "0".repeat(64),
    ...overrides,
  };
}
