import { randomBytes } from "node:crypto";
import { ConflictError, ValidationError } from "../errors.js";
import { createCursorCodec } from "../listing/cursor.js";
import { keysetPositionOf } from "../listing/order.js";
import { normalizeIp } from "../model/ip.js";
import { DEFAULT_POLICY, resolvePolicy, type TenantPolicy } from "../model/policy.js";
import {
  type ClientInfo,
  EndReason,
  effectiveSession,
  isOpenAt,
  type Session,
  type SessionRecord,
  SessionStatus,
} from "../model/session.js";
import type { Filter, SortKey } from "../query/ast.js";
import { checkFilter } from "../query/check-filter.js";
import { type FieldName, lookupField } from "../query/fields.js";
import type { EndChange, EndTarget, SessionStore, TaskBatch } from "../storage.js";
import { describe, optionalText, requireId, requireIdList, requireText } from "./arguments.js";
import { createBatchSizer, yieldToEventLoop } from "./batch-sizer.js";
import {
  emitEvents,
  type SessionEvent,
  type SessionEventType,
  type SessionHooks,
} from "./events.js";
import { issueToken, parseToken, secretMatches } from "./token.js";

export interface SessionLedgerOptions {
  store: SessionStore;
  /** The clock every deadline is measured by. @default Date.now */
  clock?: () => number;
  hooks?: SessionHooks;
  /** Policy for tenants that have none stored. @default DEFAULT_POLICY */
  defaultPolicy?: Partial<TenantPolicy>;
  /**
   * Key for the HMAC that makes listing cursors tamper-evident. Set the same value on every
   * node that serves the same store. @default 32 random bytes per process
   */
  cursorSecret?: string | Uint8Array;
  /** How long a tenant's policy is cached before it is read again. @default 5000 */
  policyCacheMs?: number;
}

export interface CreateSessionInput {
  tenantId: string;
  user: { id: string; login: string; fullName?: string | null; email?: string | null };
  /** The host's correlation id (framework or IdP session id); unique per tenant when set. */
  sessionIdentifier?: string | null;
  /** @default "UI" */
  clientType?: string;
  /** @default "UI" */
  accessType?: string;
  clientIp?: string | null;
  serverIp?: string | null;
  userAgent?: string | null;
  clientInfo?: ClientInfo | null;
  city?: string | null;
  country?: string | null;
  licenseEdition?: string | null;
  attributes?: Record<string, unknown> | null;
}

export interface CreatedSession {
  session: Session;
  /** `<id>.<secret>`: returned once, never stored. */
  token: string;
}

export interface TerminateOutcome {
  ended: string[];
  alreadyEnded: string[];
  notFound: string[];
}

export interface ListOptions {
  filter?: Filter | null;
  /** @default [{ field: "creation_time", direction: "desc" }] */
  sort?: readonly SortKey[];
  /** 1 to 100,000. @default 100 */
  limit?: number;
  /** Rows to skip; not with `cursor`. @default 0 */
  offset?: number;
  /** `nextCursor` of the previous page of the same query. */
  cursor?: string | null;
  /** Also count every match. @default false */
  withTotal?: boolean;
}

export interface SessionPage {
  items: Session[];
  /** Every match, when `withTotal` was asked. */
  total: number | null;
  /** Present when more rows may follow; pass it back as `cursor`. */
  nextCursor: string | null;
}

export interface GroupOptions {
  field: FieldName;
  filter?: Filter | null;
  /** @default 1000 */
  limit?: number;
  offset?: number;
}

export const MAX_LIST_LIMIT = 100_000;
const MAX_BULK_IDS = 100_000;
/**
 * The sweep's largest batch. Each batch is its own write, sized by the time it keeps the host's
 * thread busy (an embedded store writes on it); 10,000 rows took ~0.25 s on SQLite.
 */
const MAX_SWEEP_BATCH = 10_000;
const DEFAULT_SORT: readonly SortKey[] = [{ field: "creation_time", direction: "desc" }];
const TEXT_LIMIT = 1024;

export type SessionLedger = ReturnType<typeof createSessionLedger>;

/**
 * The session lifecycle over a store: create, validate with throttled touch, logout,
 * terminate, extend, sweep, purge, policy, and the admin listings.
 */
export function createSessionLedger(options: SessionLedgerOptions) {
  const { store } = options;
  const clock = options.clock ?? Date.now;
  const hooks = options.hooks ?? {};
  const baseline = resolvePolicy(DEFAULT_POLICY, options.defaultPolicy ?? {});
  const cursors = createCursorCodec(options.cursorSecret ?? randomBytes(32));
  const policyCacheMs = options.policyCacheMs ?? 5000;
  const policyCache = new Map<string, { policy: TenantPolicy; until: number }>();

  async function policyOf(tenantId: string): Promise<TenantPolicy> {
    const now = clock();
    const cached = policyCache.get(tenantId);
    if (cached && cached.until > now) return cached.policy;
    const policy = (await store.getPolicy(tenantId)) ?? baseline;
    policyCache.set(tenantId, { policy, until: now + policyCacheMs });
    return policy;
  }

  const event = (
    type: SessionEventType,
    tenantId: string,
    ended: { id: string; userId: string },
    at: number,
    endReason?: EndReason,
  ): SessionEvent => ({ type, tenantId, sessionId: ended.id, userId: ended.userId, at, endReason });

  async function end(
    tenantId: string,
    target: EndTarget,
    change: Omit<EndChange, "now" | "endedAt">,
    type: SessionEventType,
  ) {
    const now = clock();
    const outcome = await store.endSessions(tenantId, target, { ...change, endedAt: now, now });
    // Without a hook, ending 100,000 sessions builds no events at all.
    if (hooks.onEvent) {
      await emitEvents(
        hooks,
        outcome.ended.map((ended) => event(type, tenantId, ended, now, change.endReason)),
      );
    }
    return outcome;
  }

  const revoke = (tenantId: string, target: EndTarget) =>
    end(
      tenantId,
      target,
      { status: SessionStatus.Revoked, endReason: EndReason.Revoked },
      "revoked",
    );

  function checkLimit(limit: unknown, fallback: number, max: number, name = "limit"): number {
    if (limit === undefined) return fallback;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > max) {
      throw new ValidationError(
        `${name} must be an integer from 1 to ${max}, got ${describe(limit)}`,
        {
          target: name,
        },
      );
    }
    return limit;
  }

  function checkOffset(offset: unknown): number {
    if (offset === undefined) return 0;
    if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0) {
      throw new ValidationError(`offset must be a non-negative integer, got ${describe(offset)}`, {
        target: "offset",
      });
    }
    return offset;
  }

  function checkSort(sort: readonly SortKey[]): readonly SortKey[] {
    for (const key of sort) {
      const def = lookupField(key.field);
      if (
        def?.name !== key.field ||
        !def.sortable ||
        (key.direction !== "asc" && key.direction !== "desc")
      ) {
        throw new ValidationError(`sort: cannot sort by ${describe(key.field)}`, {
          target: "sort",
        });
      }
    }
    return sort;
  }

  return {
    /** Records a new session and returns it with its token (the only time the token exists). */
    async create(input: CreateSessionInput): Promise<CreatedSession> {
      const tenantId = requireId("tenantId", input?.tenantId);
      const user = input.user;
      if (user === null || typeof user !== "object") {
        throw new ValidationError("user is required", { target: "user" });
      }
      const ip = (name: string, value: unknown) => {
        const text = optionalText(name, value, 64);
        if (text === null) return null;
        const normalized = normalizeIp(text);
        if (normalized === null) {
          throw new ValidationError(`${name} is not an IP address: ${describe(text)}`, {
            target: name,
          });
        }
        return normalized;
      };
      const attributes = input.attributes ?? null;
      if (attributes !== null && (typeof attributes !== "object" || Array.isArray(attributes))) {
        throw new ValidationError("attributes must be a JSON object", { target: "attributes" });
      }
      if (attributes !== null && JSON.stringify(attributes).length > 16_384) {
        throw new ValidationError("attributes must serialise to at most 16 KiB", {
          target: "attributes",
        });
      }
      const clientInfo = input.clientInfo ?? null;
      const policy = await policyOf(tenantId);
      const now = clock();
      const { id, token, secretHash } = issueToken();
      const absoluteExpiresAt = now + policy.maxLifetimeMs;
      const record: SessionRecord = {
        id,
        tenantId,
        sessionIdentifier: optionalText("sessionIdentifier", input.sessionIdentifier, 256) || null,
        user: {
          id: requireId("user.id", user.id),
          login: requireText("user.login", user.login, 256),
          fullName: optionalText("user.fullName", user.fullName, 256),
          email: optionalText("user.email", user.email, 256),
        },
        clientType: optionalText("clientType", input.clientType, 64) || "UI",
        accessType: optionalText("accessType", input.accessType, 64) || "UI",
        clientIp: ip("clientIp", input.clientIp),
        serverIp: ip("serverIp", input.serverIp),
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
        secretHash,
      };
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
      await emitEvents(hooks, [
        ...outcome.evicted.map((evicted) =>
          event(
            "replaced",
            tenantId,
            { id: evicted.id, userId: evicted.user.id },
            now,
            EndReason.Replaced,
          ),
        ),
        event("created", tenantId, { id, userId: record.user.id }, now),
      ]);
      return { session: effectiveSession(record, now), token };
    },

    /**
     * The open session a token belongs to, or null for a malformed token, a wrong secret, an
     * unknown id, or an ended or lapsed session. Records activity, writing at most once per
     * `touchResolutionMs`.
     */
    async validate(tenantId: string, token: string): Promise<Session | null> {
      requireId("tenantId", tenantId);
      const parsed = parseToken(token);
      if (!parsed) return null;
      const record = await store.findSession(tenantId, parsed.id);
      const now = clock();
      if (!record || !secretMatches(parsed.secret, record.secretHash) || !isOpenAt(record, now)) {
        return null;
      }
      const policy = await policyOf(tenantId);
      if (now - record.lastActivityAt < policy.touchResolutionMs)
        return effectiveSession(record, now);
      const touched = await store.updateOpenSession(tenantId, record.id, now, {
        lastActivityAt: now,
        expiresAt: Math.min(now + policy.idleTimeoutMs, record.absoluteExpiresAt),
      });
      return touched && effectiveSession(touched, now);
    },

    /** The session with this id as a read now reports it, or null. */
    async get(tenantId: string, id: string): Promise<Session | null> {
      const record = await store.findSession(requireId("tenantId", tenantId), requireId("id", id));
      return record && effectiveSession(record, clock());
    },

    /** The session with this host correlation id, or null. */
    async getByIdentifier(tenantId: string, sessionIdentifier: string): Promise<Session | null> {
      const record = await store.findSessionByIdentifier(
        requireId("tenantId", tenantId),
        requireId("sessionIdentifier", sessionIdentifier),
      );
      return record && effectiveSession(record, clock());
    },

    /** The user ends their own session (`LOGGED_OUT`). True when it was open. */
    async logout(tenantId: string, id: string): Promise<boolean> {
      const { ended } = await end(
        requireId("tenantId", tenantId),
        { ids: [requireId("id", id)] },
        { status: SessionStatus.LoggedOut, endReason: EndReason.Logout },
        "logged_out",
      );
      return ended.length > 0;
    },

    /** An administrator ends one session (`REVOKED`). True when it was open; ending twice is a no-op. */
    async terminate(tenantId: string, id: string): Promise<boolean> {
      const { ended } = await revoke(requireId("tenantId", tenantId), {
        ids: [requireId("id", id)],
      });
      return ended.length > 0;
    },

    /** Ends a list of sessions; reports per id what ended, what had already ended, what was not found. */
    async terminateSessions(tenantId: string, ids: readonly string[]): Promise<TerminateOutcome> {
      const outcome = await revoke(requireId("tenantId", tenantId), {
        ids: requireIdList("ids", ids, MAX_BULK_IDS),
      });
      return {
        ended: outcome.ended.map((ended) => ended.id),
        alreadyEnded: outcome.alreadyEnded,
        notFound: outcome.notFound,
      };
    },

    /**
     * For task runners: one batch of a termination task, ended and recorded with the task's
     * progress as one step (`SessionStore.endTaskBatch`), with a `revoked` event per session it
     * ended. Null when `batch.owner` no longer holds the task or the batch was recorded already.
     */
    async terminateTaskBatch(
      tenantId: string,
      taskId: string,
      batch: Omit<TaskBatch, "updatedAt">,
    ): Promise<TerminateOutcome | null> {
      const now = clock();
      const outcome = await store.endTaskBatch(
        requireId("tenantId", tenantId),
        requireId("taskId", taskId),
        { ...batch, ids: requireIdList("ids", batch.ids, MAX_BULK_IDS), updatedAt: now },
        { status: SessionStatus.Revoked, endReason: EndReason.Revoked, endedAt: now, now },
      );
      if (outcome === null) return null;
      if (hooks.onEvent) {
        await emitEvents(
          hooks,
          outcome.ended.map((ended) => event("revoked", tenantId, ended, now, EndReason.Revoked)),
        );
      }
      return {
        ended: outcome.ended.map((ended) => ended.id),
        alreadyEnded: outcome.alreadyEnded,
        notFound: outcome.notFound,
      };
    },

    /** Ends every open session of a user, optionally keeping one (the caller's own). */
    async terminateUserSessions(
      tenantId: string,
      userId: string,
      options: { exceptSessionId?: string } = {},
    ): Promise<number> {
      const target: EndTarget = { userId: requireId("userId", userId) };
      if (options.exceptSessionId !== undefined) {
        target.exceptId = requireId("exceptSessionId", options.exceptSessionId);
      }
      const { ended } = await revoke(requireId("tenantId", tenantId), target);
      return ended.length;
    },

    /** Ends every open session of the tenant. */
    async terminateTenantSessions(tenantId: string): Promise<number> {
      const { ended } = await revoke(requireId("tenantId", tenantId), { all: true });
      return ended.length;
    },

    /** Ends every open session matching a filter. */
    async terminateMatching(tenantId: string, filter: Filter): Promise<number> {
      const checked = checkFilter(filter);
      if (checked === null) throw new ValidationError("filter is required", { target: "filter" });
      const { ended } = await revoke(requireId("tenantId", tenantId), { filter: checked });
      return ended.length;
    },

    /**
     * Renews an open session: a new absolute lifetime from now and a fresh idle deadline.
     * Returns the session, or null when it is not open.
     */
    async extend(tenantId: string, id: string): Promise<Session | null> {
      requireId("tenantId", tenantId);
      const policy = await policyOf(tenantId);
      const now = clock();
      const absoluteExpiresAt = now + policy.maxLifetimeMs;
      const record = await store.updateOpenSession(tenantId, requireId("id", id), now, {
        lastActivityAt: now,
        absoluteExpiresAt,
        expiresAt: Math.min(now + policy.idleTimeoutMs, absoluteExpiresAt),
      });
      if (!record) return null;
      await emitEvents(hooks, [event("extended", tenantId, { id, userId: record.user.id }, now)]);
      return effectiveSession(record, now);
    },

    /**
     * The sweep: marks every lapsed session `EXPIRED` in the store. Returns how many. Works in
     * batches of a few milliseconds of this thread's time each, yielding between them, so a
     * first sweep over 50,000 lapsed sessions never holds the host's users up.
     */
    async expireDue(): Promise<number> {
      const now = clock();
      const sizer = createBatchSizer({ initial: 500, max: MAX_SWEEP_BATCH });
      let total = 0;
      for (;;) {
        const limit = sizer.size;
        const expired = await sizer.measure(limit, async () => {
          const batch = await store.expireDue(now, limit);
          if (hooks.onEvent) {
            await emitEvents(
              hooks,
              batch.map((e) => event("expired", e.tenantId, e, e.endedAt, e.endReason)),
            );
          }
          return batch;
        });
        total += expired.length;
        if (expired.length < limit) return total;
        await yieldToEventLoop();
      }
    },

    /** Retention: deletes sessions that ended before `endedBefore`. Returns how many. */
    async purge(options: { endedBefore: number; tenantId?: string }): Promise<number> {
      const { endedBefore } = options;
      if (
        typeof endedBefore !== "number" ||
        !Number.isFinite(endedBefore) ||
        endedBefore > clock()
      ) {
        throw new ValidationError("endedBefore must be a time in the past (epoch ms)", {
          target: "endedBefore",
        });
      }
      const tenantId =
        options.tenantId === undefined ? undefined : requireId("tenantId", options.tenantId);
      return store.purgeEnded(endedBefore, tenantId);
    },

    /** The tenant's policy: stored values, or the defaults. */
    async getPolicy(tenantId: string): Promise<TenantPolicy> {
      return (await store.getPolicy(requireId("tenantId", tenantId))) ?? baseline;
    },

    /** Changes some of the tenant's policy settings and stores the result. */
    async setPolicy(tenantId: string, patch: Partial<TenantPolicy>): Promise<TenantPolicy> {
      requireId("tenantId", tenantId);
      const current = (await store.getPolicy(tenantId)) ?? baseline;
      const policy = resolvePolicy(current, patch);
      await store.putPolicy(tenantId, policy);
      policyCache.delete(tenantId);
      return policy;
    },

    /** One page of a tenant's sessions, by offset or by cursor. */
    async list(tenantId: string, options: ListOptions = {}): Promise<SessionPage> {
      requireId("tenantId", tenantId);
      const filter = checkFilter(options.filter ?? null);
      const sort = checkSort(options.sort ?? DEFAULT_SORT);
      const limit = checkLimit(options.limit, 100, MAX_LIST_LIMIT);
      const offset = checkOffset(options.offset);
      const scope = { tenantId, filter, sort };
      if (options.cursor != null && offset > 0) {
        throw new ValidationError("cursor and offset cannot be combined", { target: "cursor" });
      }
      const after = options.cursor != null ? cursors.decode(scope, options.cursor) : undefined;
      const now = clock();
      const [rows, total] = await Promise.all([
        store.listSessions(tenantId, { filter, sort, now, limit: limit + 1, offset, after }),
        options.withTotal ? store.countSessions(tenantId, filter, now) : Promise.resolve(null),
      ]);
      const items = rows.slice(0, limit).map((row) => effectiveSession(row, now));
      const last = items[items.length - 1];
      const nextCursor =
        rows.length > limit && last ? cursors.encode(scope, keysetPositionOf(last, sort)) : null;
      return { items, total, nextCursor };
    },

    /** How many of a tenant's sessions match. */
    async count(tenantId: string, filter: Filter | null = null): Promise<number> {
      return store.countSessions(requireId("tenantId", tenantId), checkFilter(filter), clock());
    },

    /** Counts per value of a groupable field, largest first. */
    async group(tenantId: string, options: GroupOptions) {
      requireId("tenantId", tenantId);
      const def = lookupField(options.field);
      if (def?.name !== options.field || !def.groupable) {
        throw new ValidationError(`group_by: cannot group by ${describe(options.field)}`, {
          target: "group_by",
        });
      }
      return store.groupSessions(tenantId, {
        field: options.field,
        filter: checkFilter(options.filter ?? null),
        now: clock(),
        limit: checkLimit(options.limit, 1000, MAX_LIST_LIMIT),
        offset: checkOffset(options.offset),
      });
    },

    /** Every matching session in order, streamed from the store in constant memory. */
    async *export(
      tenantId: string,
      options: { filter?: Filter | null; sort?: readonly SortKey[] } = {},
    ): AsyncIterable<Session> {
      requireId("tenantId", tenantId);
      const now = clock();
      const rows = store.streamSessions(tenantId, {
        filter: checkFilter(options.filter ?? null),
        sort: checkSort(options.sort ?? DEFAULT_SORT),
        now,
      });
      for await (const row of rows) yield effectiveSession(row, now);
    },

    /** The store this ledger runs on (for background-task runners and dialect adapters). */
    store,
    /** The ledger's clock. */
    now: clock,
  };
}
