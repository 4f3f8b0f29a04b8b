/**
 * What text from a client may hold, and how an error message quotes it: core's text rule
 * (`@session-ledger/core/store`, the one `create` applies), so that whatever a route refuses,
 * core refused at login, and whatever core stored, every route can name. Messages name the
 * parameter and the place; a client's own value is quoted only bounded and escaped (core's
 * `quote`), so a message can neither grow with the input nor recurse into it.
 */
import { requireId as coreRequireId } from "@session-ledger/core/store";

export {
  badCharacterAt,
  checkText,
  describeCharacter,
  QUOTED_LENGTH,
  quote,
  replaceBadCharacters,
} from "@session-ledger/core/store";

/**
 * An id from a path, a query or a body: core's rule (a string of 1 to 256 characters, no
 * control characters, tab and line breaks included, no lone surrogates or noncharacters).
 * @param name what the message calls it (`space`, `data[3].id`)
 * @param options `target`, the parameter errors name when it is not `name` (`body` for a field)
 * @throws ValidationError naming it
 */
export function requireId(
  name: string,
  value: unknown,
  { target = name, noun = "an id" }: { target?: string; noun?: string } = {},
): string {
  return coreRequireId(name, value, { noun, target });
}
