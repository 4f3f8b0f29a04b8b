/**
 * The ledger: the session lifecycle over a store, and the admin listings. Its parts live beside
 * it by concern (`sessions.ts`, `ending.ts`, `listing.ts`, sharing `context.ts`); this file
 * declares what a host gets.
 */

import { ValidationError } from "../errors.js";
import type { CheckedTimeBuckets, TimeBuckets, TimeInterval } from "../listing/time-buckets.js";
import type { TenantPolicy } from "../model/policy.js";
import type { ClientInfo, Session } from "../model/session.js";
import type { Filter, SortKey } from "../query/ast.js";
import type { FieldName } from "../query/fields.js";
import type { QueryLimits } from "../query/limits.js";
import type { GroupResult, SessionStore, TaskBatch, TimeBucket } from "../storage.js";
import { createLedgerContext } from "./context.js";
import { ending } from "./ending.js";
import type { SessionHooks } from "./events.js";
import { listing } from "./listing.js";
import { checkOptions, kindOf, missingOption, requireStore } from "./options.js";
import { sessions } from "./sessions.js";

export interface SessionLedgerOptions {
  store: SessionStore;
  /** The clock every deadline is measured by. @default Date.now */
  clock?: () => number;
  hooks?: SessionHooks;
  /** Policy for tenants that have none stored. @default DEFAULT_POLICY */
  defaultPolicy?: Partial<TenantPolicy>;
  /**
   * Key for the HMAC that makes listing cursors tamper-evident: at least
   * {@link MIN_CURSOR_SECRET_LENGTH} characters (or bytes), since a short one makes cursors
   * forgeable. Set the same value on every node that serves the same store, and keep it across
   * restarts: with the default, every cursor handed out dies with the process.
   * @default 32 random bytes per process
   */
  cursorSecret?: string | Uint8Array;
  /** How long a tenant's policy is cached before it is read again. @default 5000 */
  policyCacheMs?: number;
  /** Bounds on filters and pages (the routers read the same ones). @default DEFAULT_QUERY_LIMITS */
  limits?: Partial<QueryLimits>;
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
  /** A filter from `parseQuery`, or one built by hand (checked here). */
  filter?: Filter | null;
  /** @default [{ field: "creation_time", direction: "desc" }] */
  sort?: readonly SortKey[];
  /** 1 to `limits.maxPageSize`. @default 100 */
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

/** Counts per creation-time bucket: `group_by=creation_time&interval=…`. */
export interface TimeGroupOptions {
  field: "creation_time";
  /**
   * Hours, days or ISO weeks (from Monday) in a time zone, over a creation-time range: only
   * sessions created within `[from, to)` are counted. `checkTimeBuckets` checks them ahead.
   */
  buckets: TimeBuckets | CheckedTimeBuckets;
  filter?: Filter | null;
  /** @default every bucket */
  limit?: number;
  offset?: number;
}

export interface TimeGroupResult {
  interval: TimeInterval;
  /** The canonical zone name. */
  timeZone: string;
  /**
   * A continuous series: every bucket of the range in time order, empty ones with count 0. The
   * first may start before `from` and the last end after `to`; they count only the range.
   */
  buckets: TimeBucket[];
  /** How many buckets the range has in all. */
  totalBuckets: number;
}

/** What `createSessionLedger` returns: every operation a host and its admin routes use. */
export interface SessionLedger {
  /** Records a new session and returns it with its token (the only time the token exists). */
  create(input: CreateSessionInput): Promise<CreatedSession>;
  /**
   * The open session a token belongs to, or null for a malformed token, a wrong secret, an
   * unknown id, or an ended or lapsed session. Records activity, writing at most once per
   * `touchResolutionMs`.
   */
  validate(tenantId: string, token: string): Promise<Session | null>;
  /** The session with this id as a read now reports it, or null. */
  get(tenantId: string, id: string): Promise<Session | null>;
  /** The session with this host correlation id, or null. */
  getByIdentifier(tenantId: string, sessionIdentifier: string): Promise<Session | null>;
  /**
   * Renews an open session: a new absolute lifetime from now and a fresh idle deadline.
   * Returns the session, or null when it is not open.
   */
  extend(tenantId: string, id: string): Promise<Session | null>;

  /** The user ends their own session (`LOGGED_OUT`). True when it was open. */
  logout(tenantId: string, id: string): Promise<boolean>;
  /** An administrator ends one session (`REVOKED`). True when it was open; ending twice is a no-op. */
  terminate(tenantId: string, id: string): Promise<boolean>;
  /** Ends a list of sessions; reports per id what ended, what had already ended, what was not found. */
  terminateSessions(tenantId: string, ids: readonly string[]): Promise<TerminateOutcome>;
  /** Ends every open session of a user, optionally keeping one (the caller's own). Returns how many. */
  terminateUserSessions(
    tenantId: string,
    userId: string,
    options?: { exceptSessionId?: string },
  ): Promise<number>;
  /** Ends every open session of the tenant. Returns how many. */
  terminateTenantSessions(tenantId: string): Promise<number>;
  /** Ends every open session matching a filter. Returns how many. */
  terminateMatching(tenantId: string, filter: Filter): Promise<number>;
  /**
   * For task runners: one batch of a termination task, ended and recorded with the task's
   * progress as one step (`SessionStore.endTaskBatch`), with a `revoked` event per session it
   * ended. Null when `batch.owner` no longer holds the task or the batch was recorded already.
   */
  terminateTaskBatch(
    tenantId: string,
    taskId: string,
    batch: Omit<TaskBatch, "updatedAt">,
  ): Promise<TerminateOutcome | null>;

  /**
   * The sweep: marks every lapsed session `EXPIRED` in the store. Returns how many. Works in
   * batches of a few milliseconds of this thread's time each, yielding between them, so a first
   * sweep over 50,000 lapsed sessions never holds the host's users up.
   */
  expireDue(): Promise<number>;
  /** Retention: deletes sessions that ended before `endedBefore`. Returns how many. */
  purge(options: { endedBefore: number; tenantId?: string }): Promise<number>;

  /** The tenant's policy: stored values, or the defaults. */
  getPolicy(tenantId: string): Promise<TenantPolicy>;
  /** Changes some of the tenant's policy settings and stores the result. */
  setPolicy(tenantId: string, patch: Partial<TenantPolicy>): Promise<TenantPolicy>;

  /** One page of a tenant's sessions, by offset or by cursor. */
  list(tenantId: string, options?: ListOptions): Promise<SessionPage>;
  /**
   * One user's sessions, newest first (the "your devices" page): `list` with the user's filter.
   * `options.filter` narrows it further, e.g. to the open ones.
   */
  listForUser(tenantId: string, userId: string, options?: ListOptions): Promise<SessionPage>;
  /** How many of a tenant's sessions match. */
  count(tenantId: string, filter?: Filter | null): Promise<number>;
  /** Counts per creation-time bucket, in time order, empty buckets included. */
  group(tenantId: string, options: TimeGroupOptions): Promise<TimeGroupResult>;
  /** Counts per value of a groupable field, largest first. */
  group(tenantId: string, options: GroupOptions): Promise<GroupResult>;
  /** Every matching session in order, streamed from the store in constant memory. */
  export(
    tenantId: string,
    options?: { filter?: Filter | null; sort?: readonly SortKey[] },
  ): AsyncIterable<Session>;

  /** The ledger's clock. */
  now(): number;
  /**
   * The bounds every filter and page is held to (`limits` with the defaults). The admin
   * routes start from these and may only narrow them, so a request meets one set of bounds.
   */
  readonly limits: Readonly<QueryLimits>;
}

/**
 * The session lifecycle over a store: create, validate with throttled touch, logout,
 * terminate, extend, sweep, purge, policy, and the admin listings.
 */
export function createSessionLedger(options: SessionLedgerOptions): SessionLedger {
  checkLedgerOptions(options);
  const context = createLedgerContext(options);
  const ledger: SessionLedger = {
    ...sessions(context),
    ...ending(context),
    ...listing(context, options.cursorSecret),
    now: context.clock,
    limits: Object.freeze({ ...context.limits }),
  };
  stores.set(ledger, options.store);
  return ledger;
}

/** The store each ledger runs on, for the parts of core that work beside it (the task runner). */
const stores = new WeakMap<SessionLedger, SessionStore>();

/** The store `ledger` runs on; undefined for an object createSessionLedger did not make. */
export const storeOfLedger = (ledger: SessionLedger): SessionStore | undefined =>
  stores.get(ledger);

/** The shortest `cursorSecret`, in characters of a string or bytes of a `Uint8Array`. */
export const MIN_CURSOR_SECRET_LENGTH = 32;

/**
 * The options of `createSessionLedger`, checked where they are given (the policy and limits are
 * checked by their own resolvers).
 * @throws TypeError for a missing store, a value of the wrong kind or an unknown option (in
 *   development); ValidationError (target `cursorSecret`) for a short cursor secret
 */
function checkLedgerOptions(options: SessionLedgerOptions): void {
  const factory = "createSessionLedger";
  checkOptions(factory, options, [
    "store",
    "clock",
    "hooks",
    "defaultPolicy",
    "cursorSecret",
    "policyCacheMs",
    "limits",
  ]);
  requireStore(factory, options.store, [
    "insertSession",
    "findSession",
    "listSessions",
    "getPolicy",
  ]);
  const { clock, cursorSecret, policyCacheMs, hooks } = options;
  if (clock !== undefined && typeof clock !== "function") {
    throw missingOption(
      factory,
      "clock",
      `a function returning epoch milliseconds, got ${kindOf(clock)}`,
    );
  }
  if (hooks !== undefined && (typeof hooks !== "object" || hooks === null)) {
    throw missingOption(
      factory,
      "hooks",
      `an object ({ onEvent, onHookError }), got ${kindOf(hooks)}`,
    );
  }
  if (
    policyCacheMs !== undefined &&
    (typeof policyCacheMs !== "number" || !Number.isInteger(policyCacheMs) || policyCacheMs < 0)
  ) {
    throw missingOption(factory, "policyCacheMs", "a non-negative integer number of milliseconds");
  }
  if (cursorSecret !== undefined) {
    if (typeof cursorSecret !== "string" && !(cursorSecret instanceof Uint8Array)) {
      throw missingOption(
        factory,
        "cursorSecret",
        `a string or a Uint8Array, got ${kindOf(cursorSecret)}`,
      );
    }
    if (cursorSecret.length < MIN_CURSOR_SECRET_LENGTH) {
      throw new ValidationError(
        `cursorSecret must be at least ${MIN_CURSOR_SECRET_LENGTH} ${typeof cursorSecret === "string" ? "characters" : "bytes"} long, got ${cursorSecret.length}: a short secret makes listing cursors forgeable; use a random one (\`openssl rand -base64 32\`), the same on every node`,
        { target: "cursorSecret" },
      );
    }
  }
}
