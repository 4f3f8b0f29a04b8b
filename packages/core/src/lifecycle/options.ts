/**
 * Checks of a host's configuration where it is given: the options object of a factory
 * (`createSessionLedger`, `startMaintenance`, the express routers), so a slip fails at start-up
 * with a message that says what to do, not at the first request.
 */
import { ValidationError } from "../errors.js";
import type { SessionStore } from "../storage.js";
import { quote } from "./arguments.js";

/** The longest interval a timer can wait: Node runs a longer one after 1 ms instead. */
export const MAX_INTERVAL_MS = 2_147_483_647;

/**
 * An optional whole-number option (an interval, a lease, a batch size): undefined when not
 * given, else an integer from 1 to {@link MAX_INTERVAL_MS}. 0, a negative or fractional number,
 * a string (`"1m"`) or a longer wait than a timer can make would otherwise run work in a loop.
 * @throws ValidationError (target: the option) naming the factory and the bounds
 */
export function optionalWholeNumber(
  factory: string,
  name: string,
  value: unknown,
): number | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > MAX_INTERVAL_MS
  ) {
    throw new ValidationError(
      `${factory}: ${name} must be a whole number from 1 to ${MAX_INTERVAL_MS}, got ${quote(value)}`,
      { target: name },
    );
  }
  return value;
}

/**
 * The options a factory was called with, as a plain object: a positional argument
 * (`createOctaneRouter(ledger)`), `undefined` or an array is a `TypeError` naming the factory
 * and the options it takes. An option name the factory does not know (a typo, an option of
 * another factory) is reported too: a `TypeError` in development, where it is cheapest to fix,
 * and a process warning (`SESSION_LEDGER_UNKNOWN_OPTION`) when `NODE_ENV` is `production`, so
 * an option left over from another version never stops a deployed host.
 * @param factory the factory's name, for the message
 * @param known every option name it takes
 * @throws TypeError
 */
export function checkOptions<Options extends object>(
  factory: string,
  options: Options,
  known: readonly (keyof Options & string)[],
): Options {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `${factory} takes one options object ({ ${known.join(", ")} }), got ${kindOf(options)}`,
    );
  }
  const unknown = Object.keys(options).filter(
    (name) => !(known as readonly string[]).includes(name),
  );
  if (unknown.length > 0) {
    const message = `${factory}: unknown option${unknown.length > 1 ? "s" : ""} ${unknown.map((name) => `'${name}'`).join(", ")}; it takes ${known.join(", ")}`;
    if (process.env.NODE_ENV === "production") {
      process.emitWarning(message, { code: "SESSION_LEDGER_UNKNOWN_OPTION" });
    } else {
      throw new TypeError(message);
    }
  }
  return options;
}

/**
 * A required option that is missing or of the wrong kind: `TypeError` naming the factory, the
 * option and what to pass.
 */
export function missingOption(factory: string, name: string, what: string): TypeError {
  return new TypeError(`${factory}: '${name}' must be ${what}`);
}

/** The kind of a value, for messages that must not show the value (it may be a secret). */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Set) return "a Set";
  if (value instanceof Map) return "a Map";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * A store as a factory takes it: an object with the port's methods the factory calls. A missing
 * option, a promise of a store or something else fails here, not at the first request.
 * @param methods the methods the factory relies on
 * @throws TypeError naming the factory and what it got
 */
export function requireStore(
  factory: string,
  store: unknown,
  methods: readonly (keyof SessionStore)[],
): asserts store is SessionStore {
  if (typeof store === "object" && store !== null) {
    const missing = methods.filter(
      (name) => typeof (store as Record<string, unknown>)[name] !== "function",
    );
    if (missing.length === 0) return;
    const why =
      typeof (store as { then?: unknown }).then === "function"
        ? "a promise (await the store factory first)"
        : `an object without ${missing.join(", ")}`;
    throw missingOption(factory, "store", `a session store, got ${why}`);
  }
  throw missingOption(
    factory,
    "store",
    `a session store (createMemoryStore(), createSqliteStore({ database })…), got ${kindOf(store)}`,
  );
}
