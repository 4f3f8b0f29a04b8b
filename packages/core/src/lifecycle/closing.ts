/**
 * What a store does once closed: every method fails with `StorageError`, reads and writes
 * alike, so a ledger used after `store.close()` fails loudly instead of reading from a pool
 * that is gone while its writes still land (or the other way round).
 */
import { StorageError } from "../errors.js";
import type { SessionStore } from "../storage.js";

/**
 * A store whose `close()` closes it for good: afterwards each of its methods rejects with a
 * `StorageError` naming the method (`streamSessions` hands back a stream whose first read
 * rejects), and a second `close()` does nothing. Values that are not methods are kept as they
 * are. Every store of the library is built through it; a store author's may be too.
 * @param store the store as built, with the `close` that releases what it opened, if any
 * @param name what the error calls it (`the SQLite store`)
 */
export function closeOnce<Store extends SessionStore>(
  store: Store,
  name: string,
): Store & { close(): Promise<void> } {
  let closed = false;
  const refused = (method: string) =>
    new StorageError(
      `${name} is closed: ${method}() was called after store.close(); create the ledger over an open store`,
    );
  const guarded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(store)) {
    if (typeof value !== "function" || key === "close") {
      guarded[key] = value;
    } else if (key === "streamSessions") {
      guarded[key] = (...args: unknown[]) =>
        closed ? failing(refused(key)) : value.apply(store, args);
    } else {
      guarded[key] = (...args: unknown[]) =>
        closed ? Promise.reject(refused(key)) : value.apply(store, args);
    }
  }
  guarded.close = async () => {
    if (closed) return;
    closed = true;
    await store.close?.();
  };
  return guarded as unknown as Store & { close(): Promise<void> };
}

/** A stream whose first read rejects with the error. */
function failing(error: Error): AsyncIterable<never> {
  return {
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
  };
}
