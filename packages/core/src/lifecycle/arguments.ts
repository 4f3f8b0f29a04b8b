/** Checks for the arguments that cross the library's public boundary. */
import { ValidationError } from "../errors.js";

export const MAX_ID_LENGTH = 256;

export function requireId(name: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new ValidationError(
      `${name} must be a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${describe(value)}`,
      { target: name },
    );
  }
  return value;
}

export function optionalText(name: string, value: unknown, maxLength: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length > maxLength) {
    throw new ValidationError(
      `${name} must be a string of at most ${maxLength} characters, got ${describe(value)}`,
      { target: name },
    );
  }
  return value;
}

export function requireText(name: string, value: unknown, maxLength: number): string {
  const text = optionalText(name, value, maxLength);
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
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return [...unique];
}

/**
 * A client value as an error message may quote it: strings cut at 40 characters, and never a
 * serialisation of an object or array (which could be arbitrarily large or deep).
 */
export function describe(value: unknown): string {
  if (typeof value === "string") {
    return value.length > 40 ? `'${value.slice(0, 40)}…'` : `'${value}'`;
  }
  if (value === undefined) return "nothing";
  if (value === null || typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
