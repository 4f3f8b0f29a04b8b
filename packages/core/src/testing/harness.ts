import type { SessionEvent } from "../lifecycle/events.js";
import type { SessionLedger } from "../lifecycle/ledger.js";
import { createSessionLedger } from "../lifecycle/ledger.js";
import type { SessionStore } from "../storage.js";

/** What an adapter's `setup` hands the conformance suite. */
export interface StoreFixture {
  store: SessionStore;
  /** Empties the store; called before every case. */
  reset(): Promise<void>;
  /** Releases the store after the last case. */
  teardown(): Promise<void>;
  /**
   * A second store over the same database, built as a host would build it, for the cases that
   * close a store (the suite closes it; the fixture's own store stays open).
   */
  another(): SessionStore | Promise<SessionStore>;
}

export interface ConformanceOptions {
  /** Shown in the suite's name, e.g. "sqlite (file)" or "mongo (mingo-evaluated)". */
  name: string;
  setup(): Promise<StoreFixture>;
}

/** Everything a case works with: a ledger on the store under test with a manual clock. */
export interface CaseContext {
  store: SessionStore;
  ledger: SessionLedger;
  clock: ManualClock;
  events: SessionEvent[];
  /** How many times each store method was called through the ledger. */
  calls: Map<string, number>;
  /** The fixture's {@link StoreFixture.another}: a store of the same kind to close. */
  another(): SessionStore | Promise<SessionStore>;
}

export interface ManualClock {
  now(): number;
  advance(ms: number): void;
}

export interface ConformanceCase {
  name: string;
  run(context: CaseContext): Promise<void>;
}

export const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);
export const TENANT = "tenant-a";
export const OTHER_TENANT = "tenant-b";

/** Counts calls per method while forwarding everything to the store. */
export function countingStore(store: SessionStore, calls: Map<string, number>): SessionStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.set(String(key), (calls.get(String(key)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
}

export function createCaseContext(
  store: SessionStore,
  another: CaseContext["another"],
): CaseContext {
  let now = T0;
  const clock: ManualClock = {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
  const events: SessionEvent[] = [];
  const calls = new Map<string, number>();
  const ledger = createSessionLedger({
    store: countingStore(store, calls),
    clock: clock.now,
    cursorSecret: "conformance-cursor-secret-0123456789",
    policyCacheMs: 0,
    hooks: { onEvent: (event) => void events.push(event) },
  });
  return { store, ledger, clock, events, calls, another };
}
