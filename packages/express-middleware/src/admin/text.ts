/**
 * What text from a client may hold, and how an error message quotes it. Messages name the
 * parameter and the place; a client's own value is quoted only bounded and escaped, so a
 * message can neither grow with the input nor recurse into it.
 */
import { ValidationError } from "@session-ledger/core";

/** How much of a client value a message quotes. */
export const QUOTED_LENGTH = 40;

// C0 controls, DEL and lone surrogates; with `breaks`, tab, line feed and carriage return pass.
const BAD_WITH_BREAKS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BAD =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The index of the first character no parameter or field can mean: a C0 control character
 * (except tab, line feed and carriage return with `breaks`), DEL, or a lone surrogate; -1 when
 * there is none.
 */
export function badCharacterAt(text: string, { breaks }: { breaks: boolean }): number {
  return text.search(breaks ? BAD_WITH_BREAKS : BAD);
}

/** Names a refused character: "control character U+0000", "lone surrogate U+D800". */
export function describeCharacter(char: string, next?: string): string {
  const code = char.charCodeAt(0);
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const isSurrogate = code >= 0xd800 && code <= 0xdfff;
  if (isSurrogate && next !== undefined && code <= 0xdbff) {
    const low = next.charCodeAt(0);
    if (low >= 0xdc00 && low <= 0xdfff) return `character ${hex}`;
  }
  return isSurrogate ? `lone surrogate ${hex}` : `control character ${hex}`;
}

/** Options of {@link checkText} and {@link requireId}. */
export interface TextCheckOptions {
  /** The parameter errors name, when it is not the value's own name (`body` for a field). */
  target?: string;
}

/**
 * Refuses text holding a character {@link badCharacterAt} finds.
 * @throws ValidationError saying where in `name` it is
 */
export function checkText(
  text: string,
  name: string,
  { breaks, target = name }: TextCheckOptions & { breaks: boolean },
): string {
  const at = badCharacterAt(text, { breaks });
  if (at >= 0) {
    throw new ValidationError(
      `${name}: ${describeCharacter(text[at]!, text[at + 1])} at ${at}`,
      target === name ? { target, position: at } : { target },
    );
  }
  return text;
}

/** The longest id of a session, task or user, as core bounds it. */
export const MAX_ID_LENGTH = 256;

/**
 * An id from a path, a query or a body: a string of 1 to 256 characters without control
 * characters (tab and line breaks included) or lone surrogates.
 * @param name what the message calls it (`space`, `data[3].id`)
 * @throws ValidationError naming it
 */
export function requireId(
  value: unknown,
  name: string,
  { target = name, noun = "an id" }: TextCheckOptions & { noun?: string } = {},
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
 * A client value as a message may show it: a string's first {@link QUOTED_LENGTH} characters
 * in single quotes, escaped (`'a\u0000b…'`); a number, boolean or null as written; anything
 * else only by its kind, never serialised (a deeply nested value must not cost a stack).
 */
export function quote(value: unknown): string {
  switch (typeof value) {
    case "string": {
      let shown = value.slice(0, QUOTED_LENGTH);
      // Do not end the quote in the middle of a surrogate pair.
      if (/[\uD800-\uDBFF]$/.test(shown) && value.length > QUOTED_LENGTH)
        shown = shown.slice(0, -1);
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
