import { afterEach, describe, expect, it, vi } from "vitest";
import { createMemoryStore } from "../memory/memory-store.js";
import { createSessionLedger, MIN_CURSOR_SECRET_LENGTH } from "./ledger.js";
import { checkOptions } from "./options.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("checkOptions", () => {
  it("should refuse a positional argument, naming the options the factory takes", () => {
    for (const given of [undefined, null, "ledger", 3, []]) {
      expect(() => checkOptions("makeThing", given as never, ["ledger", "store"])).toThrow(
        /makeThing takes one options object \(\{ ledger, store \}\), got /,
      );
    }
  });

  it("should throw for an unknown option in development and warn in production", () => {
    vi.stubEnv("NODE_ENV", "development");
    expect(() => checkOptions("makeThing", { ledger: 1, lejer: 2 }, ["ledger"] as never)).toThrow(
      "makeThing: unknown option 'lejer'; it takes ledger",
    );
    vi.stubEnv("NODE_ENV", "production");
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      checkOptions("makeThing", { ledger: 1, lejer: 2 }, ["ledger"] as never);
      expect(warn).toHaveBeenCalledWith("makeThing: unknown option 'lejer'; it takes ledger", {
        code: "SESSION_LEDGER_UNKNOWN_OPTION",
      });
    } finally {
      warn.mockRestore();
    }
  });
});

describe("createSessionLedger - options", () => {
  const store = createMemoryStore();

  it("should refuse a cursor secret shorter than the minimum, as a string or as bytes", () => {
    for (const cursorSecret of ["", "x", "s".repeat(MIN_CURSOR_SECRET_LENGTH - 1)]) {
      expect(() => createSessionLedger({ store, cursorSecret })).toThrow(
        expect.objectContaining({
          target: "cursorSecret",
          message: expect.stringContaining(
            `cursorSecret must be at least 32 characters long, got ${cursorSecret.length}`,
          ),
        }),
      );
    }
    expect(() => createSessionLedger({ store, cursorSecret: new Uint8Array(16) })).toThrow(
      "cursorSecret must be at least 32 bytes long, got 16",
    );
    expect(() => createSessionLedger({ store, cursorSecret: 42 as never })).toThrow(
      "'cursorSecret' must be a string or a Uint8Array, got a number",
    );
    expect(
      createSessionLedger({ store, cursorSecret: "s".repeat(MIN_CURSOR_SECRET_LENGTH) }),
    ).toBeTypeOf("object");
    expect(createSessionLedger({ store, cursorSecret: new Uint8Array(32) })).toBeTypeOf("object");
  });

  it("should refuse a missing store, a promise of one, and a positional one", () => {
    expect(() => createSessionLedger({} as never)).toThrow(
      "createSessionLedger: 'store' must be a session store (createMemoryStore(), createSqliteStore({ database })…), got nothing",
    );
    expect(() => createSessionLedger({ store: Promise.resolve(store) as never })).toThrow(
      "got a promise (await the store factory first)",
    );
    expect(() => createSessionLedger(store as never)).toThrow(
      /createSessionLedger: unknown options '.*'; it takes store, clock/,
    );
  });

  it("should refuse a default policy with an idle timeout or lifetime under a minute", () => {
    expect(() => createSessionLedger({ store, defaultPolicy: { idleTimeoutMs: 30 } })).toThrow(
      "idleTimeoutMs must be an integer number of milliseconds between 60000 and",
    );
    expect(() => createSessionLedger({ store, defaultPolicy: { maxLifetimeMs: 15 } })).toThrow(
      "maxLifetimeMs must be an integer number of milliseconds between 60000 and",
    );
  });

  it("should refuse an unknown option and values of the wrong kind", () => {
    expect(() => createSessionLedger({ store, cursorSecert: "x" } as never)).toThrow(
      "createSessionLedger: unknown option 'cursorSecert'",
    );
    expect(() => createSessionLedger({ store, clock: 5 as never })).toThrow(
      "'clock' must be a function returning epoch milliseconds, got a number",
    );
    expect(() => createSessionLedger({ store, policyCacheMs: -1 })).toThrow(
      "'policyCacheMs' must be a non-negative integer number of milliseconds",
    );
    expect(() => createSessionLedger({ store, hooks: "log" as never })).toThrow(
      "'hooks' must be an object",
    );
  });
});
