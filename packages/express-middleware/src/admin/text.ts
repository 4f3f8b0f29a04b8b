/**
 * What text from a client may hold, and how an error message quotes it. Messages name the
 * parameter and the place; a client's own value is quoted only bounded and escaped (core's
 * `quote`, the one core's own errors use), so a message can neither grow with the input nor
 * recurse into it.
 */
import { ValidationError } from "@session-ledger/core";
import { requireId as coreRequireId } from "@session-ledger/core/store";

export { QUOTED_LENGTH, quote } from "@session-ledger/core/store";

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

/**
 * An id from a path, a query or a body: core's rule (a string of 1 to 256 characters), and no
 * control characters (tab and line breaks included) or lone surrogates, which no id means and
 * which would travel on into logs and exports.
 * @param name what the message calls it (`space`, `data[3].id`)
 * @throws ValidationError naming it
 */
export function requireId(
  name: string,
  value: unknown,
  { target = name, noun = "an id" }: TextCheckOptions & { noun?: string } = {},
): string {
  return checkText(coreRequireId(name, value, { noun, target }), name, { breaks: false, target });
}
