/**
 * The one rule for text the library stores, reads from a client or writes into an export:
 * no C0 control character (tab, line feed and carriage return pass where line breaks may
 * occur), no DEL, no lone surrogate and neither of the noncharacters U+FFFE and U+FFFF. No
 * id, login or name means any of them; each would travel on into logs, filters and exports,
 * and all but DEL are characters XML 1.0 (so an XLSX sheet) cannot hold. Core's `create`
 * refuses them, every admin route refuses them, and the export writers replace them in rows
 * stored before the rule (or written to a store directly).
 */
import { ValidationError } from "../errors.js";

const LONE_SURROGATE =
  "[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]";
const WITH_BREAKS = `[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F\\uFFFE\\uFFFF]|${LONE_SURROGATE}`;
const WITHOUT_BREAKS = `[\\u0000-\\u001F\\u007F\\uFFFE\\uFFFF]|${LONE_SURROGATE}`;

const BAD_WITH_BREAKS = new RegExp(WITH_BREAKS);
const BAD = new RegExp(WITHOUT_BREAKS);
const EVERY_BAD_WITH_BREAKS = new RegExp(WITH_BREAKS, "g");

/** Where line breaks may occur: `breaks: true` lets tab, line feed and carriage return pass. */
export interface TextRuleOptions {
  breaks: boolean;
}

/**
 * The index of the first character the text rule refuses, -1 when there is none.
 * @param options `breaks: true` for free text (a name, a user agent, a query), false for ids
 *   and logins
 */
export function badCharacterAt(text: string, { breaks }: TextRuleOptions): number {
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
  if (isSurrogate) return `lone surrogate ${hex}`;
  return code >= 0xfffe ? `noncharacter ${hex}` : `control character ${hex}`;
}

/** Options of {@link checkText}. */
export interface CheckTextOptions extends TextRuleOptions {
  /** The parameter errors name, when it is not the value's own name (`body` for a field). */
  target?: string;
}

/**
 * The text, when the text rule accepts it.
 * @param name what the message calls the value (`user.login`, `data[3].id`)
 * @throws ValidationError `user.login: control character U+0000 at 7`, with the position when
 *   the error names the value itself
 */
export function checkText(
  text: string,
  name: string,
  { breaks, target = name }: CheckTextOptions,
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
 * The text with every character the rule refuses (tab and line breaks pass) replaced by
 * U+FFFD, so that an export of rows stored before the rule is still a valid file.
 */
export function replaceBadCharacters(text: string): string {
  return badCharacterAt(text, { breaks: true }) < 0
    ? text
    : text.replace(EVERY_BAD_WITH_BREAKS, "\uFFFD");
}
