/**
 * The `timezone` parameter of exports: a fixed offset (`UTC+03:00`) or an IANA zone name
 * (`Europe/Berlin`), and the formatting of instants in it.
 */
import { ValidationError } from "@session-ledger/core";
import { quote } from "./text.js";

/** A validated time zone. */
export interface TimeZone {
  /** The canonical label: `UTC`, `UTC+03:00`, or the IANA name. */
  label: string;
  /** The zone's offset from UTC in minutes at an instant (epoch ms). */
  offsetAt(epochMs: number): number;
}

export const UTC: TimeZone = { label: "UTC", offsetAt: () => 0 };

// `+` in a query string decodes to a space, and the seed writes `timezone=UTC+03:00`
// unencoded, so a space where the sign belongs means `+`.
const FIXED = /^(?:UTC|GMT)(?:([+\- ])(\d{1,2})(?::?(\d{2}))?)?$/i;
const IANA = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;
const MAX_OFFSET_MINUTES = 14 * 60;

/**
 * Parses a `timezone` parameter: `UTC`, `UTC±HH:MM` (also `UTC±HH`, `UTC±HHMM`, `GMT…`), or
 * an IANA zone name the runtime knows.
 * @throws ValidationError (target `timezone`) for anything else
 */
export function parseTimeZone(text: string, target = "timezone"): TimeZone {
  const trimmed = text.trim();
  const fixed = FIXED.exec(trimmed);
  if (fixed) {
    const [, sign, hours, minutes = "0"] = fixed;
    if (sign === undefined) return UTC;
    const total = Number(hours) * 60 + Number(minutes);
    if (Number(minutes) > 59 || total > MAX_OFFSET_MINUTES) throw invalid(text, target);
    const offset = sign === "-" ? -total : total;
    return offset === 0 ? UTC : { label: `UTC${formatOffset(offset)}`, offsetAt: () => offset };
  }
  if (IANA.test(trimmed)) {
    const zone = ianaZone(trimmed);
    if (zone) return zone;
  }
  throw invalid(text, target);
}

function invalid(text: string, target: string): ValidationError {
  return new ValidationError(
    `${target} must be UTC, UTC±HH:MM (e.g. UTC+03:00) or an IANA zone name such as Europe/Berlin, got ${quote(text)}`,
    { target },
  );
}

function ianaZone(name: string): TimeZone | null {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    return null;
  }
  const label = format.resolvedOptions().timeZone;
  return {
    label,
    offsetAt(epochMs) {
      const parts: Record<string, number> = {};
      for (const part of format.formatToParts(epochMs)) parts[part.type] = Number(part.value);
      const wall = Date.UTC(
        parts.year ?? 1970,
        (parts.month ?? 1) - 1,
        parts.day ?? 1,
        parts.hour ?? 0,
        parts.minute ?? 0,
        parts.second ?? 0,
      );
      // The wall clock has whole seconds; compare it with the instant cut to whole seconds.
      return Math.round((wall - Math.floor(epochMs / 1000) * 1000) / 60_000);
    },
  };
}

/** `+03:00`, `-05:30`. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${sign}${hh}:${mm}`;
}

/**
 * The instant as an ISO 8601 local time in the zone with its offset
 * (`2026-02-01T15:04:05.123+03:00`), or with `Z` when the offset is zero.
 */
export function formatInstant(epochMs: number, zone: TimeZone): string {
  const offset = zone.offsetAt(epochMs);
  const local = new Date(epochMs + offset * 60_000).toISOString();
  return offset === 0 ? local : `${local.slice(0, -1)}${formatOffset(offset)}`;
}

/**
 * A `Date` whose UTC fields read as the zone's wall clock at the instant: spreadsheet
 * writers store dates without a zone, as the UTC fields of a `Date`.
 */
export function wallClockDate(epochMs: number, zone: TimeZone): Date {
  return new Date(epochMs + zone.offsetAt(epochMs) * 60_000);
}
