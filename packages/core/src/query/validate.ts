/**
 * The catalog rules a parsed phrase must follow: which names are fields where, which operators
 * each field type takes, and how a literal becomes a typed `FilterValue`.
 */
import { ValidationError } from "../errors.js";
import { normalizeIp } from "../model/ip.js";
import type { CompareOp, FilterValue } from "./ast.js";
import { type FieldDef, type FieldType, lookupField } from "./fields.js";

/** Where a phrase stands: on the session, or inside a `user={…}` cross-filter. */
export type Scope = "session" | "user";

/** Every operator the grammar reads; `NE` is sugar for `!(… EQ …)`. */
export type Operator = CompareOp | "NE" | "IN" | "BTW";

/** A literal as written, before it meets its field. */
export type RawValue = { start: number } & (
  | { kind: "number"; text: string }
  | { kind: "string"; parts: readonly string[] }
  | { kind: "boolean"; text: string }
  | { kind: "null" }
  | { kind: "macro"; text: string }
);

const ALL: readonly Operator[] = ["EQ", "NE", "LT", "GT", "LE", "GE", "IN", "BTW"];
const OPERATORS: Record<FieldType, readonly Operator[]> = {
  id: ALL,
  text: ["EQ", "NE", "LT", "GT", "LE", "GE", "IN"],
  enum: ["EQ", "NE", "IN"],
  ip: ALL,
  time: ALL,
  reference: ["EQ", "NE"],
};

/** The first and last instants whose ISO form has a four-digit year, so the printer can write them. */
const EARLIEST = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const LATEST = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

export function queryError(message: string, position: number): ValidationError {
  return new ValidationError(`query: ${message} at ${position}`, {
    target: "query",
    position,
    code: "INVALID_QUERY",
  });
}

export function resolveField(name: string, scope: Scope, position: number): FieldDef {
  if (scope === "user") {
    const def = lookupField(name.startsWith("user.") ? name : `user.${name}`);
    if (def?.userSubField) return def;
    if (lookupField(name) === undefined) throw queryError(`unknown field '${name}'`, position);
    throw queryError(
      `'${name}' is not a user field; inside user={…} use id, login, full_name or email`,
      position,
    );
  }
  const def = lookupField(name);
  if (def === undefined) throw queryError(`unknown field '${name}'`, position);
  if (def.userSubField) {
    throw queryError(`'${name}' is only valid inside a user={…} cross-filter`, position);
  }
  return def;
}

export function checkOperator(def: FieldDef, op: Operator, written: string, position: number) {
  const allowed = OPERATORS[def.type];
  if (allowed.includes(op)) return;
  const listed = allowed.filter((o) => o !== "NE").join(", ");
  throw queryError(
    `'${written}' is not allowed on ${def.type} field '${def.name}' (use ${listed})`,
    position,
  );
}

/** The typed value of `raw` for `def`, used as the operand of `use` (an `IN` member, a `BTW` bound…). */
export function toFilterValue(def: FieldDef, raw: RawValue, use: Operator): FilterValue {
  const at = raw.start;
  const isEquality = use === "EQ" || use === "NE" || use === "IN";
  switch (raw.kind) {
    case "macro":
      throw queryError(`macros such as '${raw.text}' are not supported`, at);
    case "boolean":
      throw queryError(`'${def.name}' takes no boolean value`, at);
    case "null":
      if (use === "BTW") throw queryError("a BTW bound cannot be null", at);
      if (!isEquality) throw queryError("null only works with EQ or IN", at);
      return { kind: "null" };
  }
  if (def.type === "reference") {
    throw queryError(`'${def.name}' takes a {…} cross-filter or null`, at);
  }
  if (raw.kind === "string" && raw.parts.length > 1) {
    if (def.type !== "text" && def.type !== "ip") {
      throw queryError(`wildcards are not allowed on ${def.type} field '${def.name}'`, at);
    }
    if (use === "BTW") throw queryError("a BTW bound cannot be a wildcard pattern", at);
    if (!isEquality) throw queryError("wildcards only work with EQ or IN", at);
    return { kind: "pattern", parts: raw.parts };
  }
  const text = raw.kind === "number" ? raw.text : (raw.parts[0] ?? "");
  switch (def.type) {
    case "id":
    case "text":
      return { kind: "text", value: text };
    case "enum":
      return { kind: "text", value: enumValue(def, text, at) };
    case "ip": {
      const ip = normalizeIp(text);
      if (ip === null) throw queryError(`'${text}' is not an IP address`, at);
      return { kind: "text", value: ip };
    }
    case "time":
      return { kind: "time", value: raw.kind === "number" ? epochMs(text, at) : isoTime(text, at) };
  }
}

function enumValue(def: FieldDef, text: string, at: number): string {
  const values = def.enumValues ?? [];
  const match = values.find((value) => value === asciiUpper(text));
  if (match !== undefined) return match;
  throw queryError(
    `'${text}' is not a valid ${def.name}; expected one of ${values.join(", ")}`,
    at,
  );
}

/** Folds ASCII only, as stores do, so `'actıve'` (dotless i) is not `ACTIVE`. */
function asciiUpper(text: string): string {
  return text.replace(/[a-z]+/g, (run) => run.toUpperCase());
}

function epochMs(text: string, at: number): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw queryError(`'${text}' is not an integer epoch-ms time`, at);
  return inRange(value === 0 ? 0 : value, text, at);
}

function inRange(ms: number, text: string, at: number): number {
  if (ms < EARLIEST || ms > LATEST) {
    throw queryError(`'${text}' is outside the years 0000–9999`, at);
  }
  return ms;
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * An ISO 8601 date-time in epoch ms. A bare date is UTC midnight; a time without an offset is
 * read as UTC, since the server's zone must not change what a query means.
 */
function isoTime(text: string, at: number): number {
  const ms = parseIsoTime(text);
  if (ms === null) throw queryError(`'${text}' is not an ISO 8601 date-time`, at);
  return inRange(ms, text, at);
}

export function parseIsoTime(text: string): number | null {
  const match = ISO_TIME.exec(text);
  if (match === null) return null;
  const [, year, month, day, hour = "0", minute = "0", second = "0", fraction = "", zone] = match;
  const offset = offsetMinutes(zone);
  if (offset === null || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) {
    return null;
  }
  // setUTCFullYear, unlike Date.UTC, does not move years 0–99 into the 1900s.
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  const isRealDay =
    date.getUTCFullYear() === Number(year) &&
    date.getUTCMonth() === Number(month) - 1 &&
    date.getUTCDate() === Number(day);
  if (!isRealDay) return null;
  const millis = Number(fraction.padEnd(3, "0").slice(0, 3));
  date.setUTCHours(Number(hour), Number(minute), Number(second), millis);
  return date.getTime() - offset * 60_000;
}

function offsetMinutes(zone: string | undefined): number | null {
  if (zone === undefined || zone === "Z" || zone === "z") return 0;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 23 || minutes > 59) return null;
  return (zone[0] === "-" ? -1 : 1) * (hours * 60 + minutes);
}
