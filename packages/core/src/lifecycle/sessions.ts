/** Sessions one at a time: create, validate with the throttled touch, read, extend, policy. */
import { ConflictError, ValidationError } from "../errors.js";
import { normalizeIp } from "../model/ip.js";
import { resolvePolicy, type TenantPolicy } from "../model/policy.js";
import {
  EndReason,
  effectiveSession,
  isOpenAt,
  type SessionRecord,
  SessionStatus,
} from "../model/session.js";
import { optionalText, quote, requireId, requireText } from "./arguments.js";
import type { LedgerContext } from "./context.js";
import type { CreateSessionInput, SessionLedger } from "./ledger.js";
import { issueToken, parseToken, secretMatches } from "./token.js";

const TEXT_LIMIT = 1024;
const ATTRIBUTES_LIMIT = 16_384;

function ipInput(name: string, value: unknown): string | null {
  const text = optionalText(name, value, 64);
  if (text === null) return null;
  const normalized = normalizeIp(text);
  if (normalized === null) {
    throw new ValidationError(`${name} is not an IP address: ${quote(text)}`, {
      target: name,
    });
  }
  return normalized;
}

/** The stored record of a new session, every input checked and bounded. */
function newRecord(
  input: CreateSessionInput,
  policy: TenantPolicy,
  now: number,
  issued: { id: string; secretHash: string },
): SessionRecord {
  const tenantId = requireId("tenantId", input?.tenantId);
  const user = input.user;
  if (user === null || typeof user !== "object") {
    throw new ValidationError("user is required", { target: "user" });
  }
  const attributes = input.attributes ?? null;
  if (attributes !== null && (typeof attributes !== "object" || Array.isArray(attributes))) {
    throw new ValidationError("attributes must be a JSON object", { target: "attributes" });
  }
  if (attributes !== null && JSON.stringify(attributes).length > ATTRIBUTES_LIMIT) {
    throw new ValidationError("attributes must serialise to at most 16 KiB", {
      target: "attributes",
    });
  }
  const clientInfo = input.clientInfo ?? null;
  const absoluteExpiresAt = now + policy.maxLifetimeMs;
  return {
    id: issued.id,
    tenantId,
    sessionIdentifier:
      optionalText("sessionIdentifier", input.sessionIdentifier, 256, { breaks: false }) || null,
    user: {
      id: requireId("user.id", user.id),
      login: requireText("user.login", user.login, 256, { breaks: false }),
      fullName: optionalText("user.fullName", user.fullName, 256),
      email: optionalText("user.email", user.email, 256),
    },
    clientType: optionalText("clientType", input.clientType, 64) || "UI",
    accessType: optionalText("accessType", input.accessType, 64) || "UI",
    clientIp: ipInput("clientIp", input.clientIp),
    serverIp: ipInput("serverIp", input.serverIp),
    userAgent: optionalText("userAgent", input.userAgent, TEXT_LIMIT),
    clientInfo: clientInfo && {
      browser: optionalText("clientInfo.browser", clientInfo.browser, 128),
      os: optionalText("clientInfo.os", clientInfo.os, 128),
      device: optionalText("clientInfo.device", clientInfo.device, 128),
    },
    city: optionalText("city", input.city, 128),
    country: optionalText("country", input.country, 128),
    licenseEdition: optionalText("licenseEdition", input.licenseEdition, 128),
    status: SessionStatus.Active,
    endReason: null,
    createdAt: now,
    lastActivityAt: now,
    expiresAt: Math.min(now + policy.idleTimeoutMs, absoluteExpiresAt),
    absoluteExpiresAt,
    endedAt: null,
    attributes: attributes && structuredClone(attributes),
    secretHash: issued.secretHash,
  };
}

type Sessions = Pick<
  SessionLedger,
  "create" | "validate" | "get" | "getByIdentifier" | "extend" | "getPolicy" | "setPolicy"
>;

export function sessions(context: LedgerContext): Sessions {
  const { store, clock } = context;
  return {
    async create(input) {
      const policy = await context.policyOf(requireId("tenantId", input?.tenantId));
      const now = clock();
      const { id, token, secretHash } = issueToken();
      const record = newRecord(input, policy, now, { id, secretHash });
      const cap =
        policy.maxSessionsPerUser === null
          ? undefined
          : { maxOpen: policy.maxSessionsPerUser, policy: policy.onSessionLimit, now };
      const outcome = await store.insertSession(record, cap);
      if (!outcome.inserted) {
        throw new ConflictError(
          `user '${record.user.id}' already has ${policy.maxSessionsPerUser} open sessions`,
          "SESSION_LIMIT_REACHED",
        );
      }
      const at = (ended: SessionRecord) => ({ id: ended.id, userId: ended.user.id, at: now });
      await context.emit(
        "replaced",
        record.tenantId,
        outcome.evicted.map((evicted) => ({ ...at(evicted), endReason: EndReason.Replaced })),
      );
      await context.emit("created", record.tenantId, [at(record)]);
      return { session: effectiveSession(record, now), token };
    },

    async validate(tenantId, token) {
      requireId("tenantId", tenantId);
      const parsed = parseToken(token);
      if (!parsed) return null;
      const record = await store.findSession(tenantId, parsed.id);
      const now = clock();
      if (!record || !secretMatches(parsed.secret, record.secretHash) || !isOpenAt(record, now)) {
        return null;
      }
      const policy = await context.policyOf(tenantId);
      if (now - record.lastActivityAt < policy.touchResolutionMs) {
        return effectiveSession(record, now);
      }
      const touched = await store.updateOpenSession(tenantId, record.id, now, {
        lastActivityAt: now,
        expiresAt: Math.min(now + policy.idleTimeoutMs, record.absoluteExpiresAt),
      });
      return touched && effectiveSession(touched, now);
    },

    async get(tenantId, id) {
      const record = await store.findSession(requireId("tenantId", tenantId), requireId("id", id));
      return record && effectiveSession(record, clock());
    },

    async getByIdentifier(tenantId, sessionIdentifier) {
      const record = await store.findSessionByIdentifier(
        requireId("tenantId", tenantId),
        requireId("sessionIdentifier", sessionIdentifier),
      );
      return record && effectiveSession(record, clock());
    },

    async extend(tenantId, id) {
      requireId("tenantId", tenantId);
      const policy = await context.policyOf(tenantId);
      const now = clock();
      const absoluteExpiresAt = now + policy.maxLifetimeMs;
      const record = await store.updateOpenSession(tenantId, requireId("id", id), now, {
        lastActivityAt: now,
        absoluteExpiresAt,
        expiresAt: Math.min(now + policy.idleTimeoutMs, absoluteExpiresAt),
      });
      if (!record) return null;
      await context.emit("extended", tenantId, [{ id, userId: record.user.id, at: now }]);
      return effectiveSession(record, now);
    },

    async getPolicy(tenantId) {
      return (await store.getPolicy(requireId("tenantId", tenantId))) ?? context.baseline;
    },

    async setPolicy(tenantId, patch) {
      requireId("tenantId", tenantId);
      const current = (await store.getPolicy(tenantId)) ?? context.baseline;
      const policy = resolvePolicy(current, patch);
      await store.putPolicy(tenantId, policy);
      context.forgetPolicy(tenantId);
      return policy;
    },
  };
}
