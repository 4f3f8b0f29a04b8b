/**
 * What every part of the ledger shares: the store, the clock, the hooks, the query limits and
 * the tenant policy cache.
 */
import { DEFAULT_POLICY, resolvePolicy, type TenantPolicy } from "../model/policy.js";
import type { EndReason } from "../model/session.js";
import { type QueryLimits, resolveLimits } from "../query/limits.js";
import type { SessionStore } from "../storage.js";
import { emitEvents, type SessionEventType, type SessionHooks } from "./events.js";
import type { SessionLedgerOptions } from "./ledger.js";

export interface LedgerContext {
  store: SessionStore;
  clock: () => number;
  limits: QueryLimits;
  /** Policy for tenants that have none stored. */
  baseline: TenantPolicy;
  /** The tenant's policy, cached for `policyCacheMs`. */
  policyOf(tenantId: string): Promise<TenantPolicy>;
  forgetPolicy(tenantId: string): void;
  /** True when a hook listens: building 100,000 events for nobody is skipped. */
  listening: boolean;
  /** Delivers one event per session of `tenantId` to the hooks. */
  emit(
    type: SessionEventType,
    tenantId: string,
    sessions: Iterable<{ id: string; userId: string; at: number; endReason?: EndReason }>,
  ): Promise<void>;
}

export function createLedgerContext(options: SessionLedgerOptions): LedgerContext {
  const { store } = options;
  const clock = options.clock ?? Date.now;
  const hooks: SessionHooks = options.hooks ?? {};
  const baseline = resolvePolicy(DEFAULT_POLICY, options.defaultPolicy ?? {});
  const policyCacheMs = options.policyCacheMs ?? 5000;
  const policyCache = new Map<string, { policy: TenantPolicy; until: number }>();
  return {
    store,
    clock,
    limits: resolveLimits(options.limits),
    baseline,
    async policyOf(tenantId) {
      const now = clock();
      const cached = policyCache.get(tenantId);
      if (cached && cached.until > now) return cached.policy;
      const policy = (await store.getPolicy(tenantId)) ?? baseline;
      policyCache.set(tenantId, { policy, until: now + policyCacheMs });
      return policy;
    },
    forgetPolicy: (tenantId) => void policyCache.delete(tenantId),
    listening: hooks.onEvent !== undefined,
    async emit(type, tenantId, sessions) {
      if (!hooks.onEvent) return;
      const events = [];
      for (const { id, userId, at, endReason } of sessions) {
        events.push({ type, tenantId, sessionId: id, userId, at, endReason });
      }
      await emitEvents(hooks, events);
    },
  };
}
