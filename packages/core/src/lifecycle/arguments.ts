/** Checks for the arguments that cross the library's public boundary. */
import { ValidationError } from "../errors.js";
import { checkText } from "../model/text.js";
import { yieldToEventLoop } from "./batch-sizer.js";

/** The longest id of a tenant, session, task or user. */
export const MAX_ID_LENGTH = 256;

/** How {@link requireId}'s error words what was expected and whom it blames. */
export interface IdWording {
  /** What the id is, for the message: `a session id`. @default "a string" */
  noun?: string;
  /** The parameter the error names, when it is not `name` (`body` for a field of a body). */
  target?: string;
}

/**
 * An id: a string of 1 to {@link MAX_ID_LENGTH} characters that the text rule accepts without
 * line breaks (`model/text.ts`).
 * @param name what the message calls the value (`tenantId`, `data[3].id`)
 * @throws ValidationError `name must be <noun> of 1 to 256 characters, got '…'`, or
 *   `name: control character U+0000 at 3`
 */
export function requireId(
  name: string,
  value: unknown,
  { noun = "a string", target = name }: IdWording = {},
): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new ValidationError(
      `${name} must be ${noun} of 1 to ${MAX_ID_LENGTH} characters, got ${quote(value)}`,
      { target },
    );
  }
  return checkText(value, name, { breaks: false, target });
}

/**
 * Text of at most `maxLength` characters that the text rule accepts, or null when absent.
 * `breaks: false` (ids, logins) refuses tab and line breaks too. @default breaks true
 */
export function optionalText(
  name: string,
  value: unknown,
  maxLength: number,
  { breaks = true }: { breaks?: boolean } = {},
): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length > maxLength) {
    throw new ValidationError(
      `${name} must be a string of at most ${maxLength} characters, got ${quote(value)}`,
      { target: name },
    );
  }
  return checkText(value, name, { breaks });
}

export function requireText(
  name: string,
  value: unknown,
  maxLength: number,
  options: { breaks?: boolean } = {},
): string {
  const text = optionalText(name, value, maxLength, options);
  if (text === null || text.length === 0) {
    throw new ValidationError(`${name} is required`, { target: name });
  }
  return text;
}

export function requireIdList(name: string, value: unknown, maxCount: number): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > maxCount) {
    throw new ValidationError(`${name} must be a list of 1 to ${maxCount} ids`, { target: name });
  }
  const unique = new Set<string>();
  for (const [index, id] of value.entries()) unique.add(requireId(`${name}[${index}]`, id));
  return [...unique];
}

/** Ids checked per turn of the event loop by `requireIdListInSlices` (about 2 ms of work). */
const IDS_PER_SLICE = 10_000;

/**
 * `requireIdList` for lists long enough to stall the host (100,000 ids take ~16 ms): the same
 * checks and result, with a turn of the event loop after every slice.
 */
export async function requireIdListInSlices(
  name: string,
  value: unknown,
  maxCount: number,
): Promise<string[]> {
  if (!Array.isArray(value) || value.length <= IDS_PER_SLICE) {
    return requireIdList(name, value, maxCount);
  }
  if (value.length > maxCount) {
    throw new ValidationError(`${name} must be a list of 1 to ${maxCount} ids`, { target: name });
  }
  const unique = new Set<string>();
  for (let start = 0; start < value.length; start += IDS_PER_SLICE) {
    const end = Math.min(value.length, start + IDS_PER_SLICE);
    for (let index = start; index < end; index++) {
      unique.add(requireId(`${name}[${index}]`, value[index]));
    }
    await yieldToEventLoop();
  }
  return [...unique];
}

/** How much of a client's string an error message quotes. */
export const QUOTED_LENGTH = 40;

/**
 * A client value as an error message may show it: a string's first {@link QUOTED_LENGTH}
 * characters in single quotes, escaped (`'a\u0000b…'`), so a message neither grows with the
 * input nor carries its control characters; a number, boolean or null as written; anything
 * else only by its kind, never serialised (a deeply nested value must not cost a stack).
 */
export function quote(value: unknown): string {
  switch (typeof value) {
    case "string": {
      let shown = value.slice(0, QUOTED_LENGTH);
      // Do not end the quote in the middle of a surrogate pair.
      if (/[\uD800-\uDBFF]$/.test(shown) && value.length > QUOTED_LENGTH) {
        shown = shown.slice(0, -1);
      }
      const escaped = JSON.stringify(shown).slice(1, -1).replaceAll("'", "\\'");
      return `'${escaped}${value.length > shown.length ? "…" : ""}'`;
    }
    case "number":
    case "boolean":
      return String(value);
    case "undefined":
      return "nothing";
    default:
      if (value === null) return "null";
      if (Array.isArray(value)) return "an array";
      return typeof value === "object" ? "an object" : `a ${typeof value}`;
  }
}
