/**
 * The listing parameters that sit beside `query`: `order_by`, `fields` and `group_by`.
 */
import { QuerySyntaxError, ValidationError } from "../errors.js";
import type { SortKey } from "./ast.js";
import { type FieldDef, type FieldName, lookupField } from "./fields.js";

/** A name `fields=` may list: a session field, or `client_info` (browser, os and device together). */
export type ProjectedField = Exclude<FieldName, `user.${string}`> | "client_info";

/** A user sub-field `fields=user{…}` may ask for. */
export type UserFieldName = "id" | "login" | "full_name" | "email";

export interface Projection {
  /** Canonical names in the order asked, aliases resolved; `user` is here in either form. */
  fields: readonly ProjectedField[];
  /** The sub-fields of `user{…}` in the order asked; null when `user` was bare or absent. */
  userFields: readonly UserFieldName[] | null;
}

const USER_FIELDS: ReadonlySet<string> = new Set<UserFieldName>([
  "id",
  "login",
  "full_name",
  "email",
]);
const NAME = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
const SPACE = /\s/;

type Target = "order_by" | "fields" | "group_by";

/**
 * Parses `order_by=[-]f1[,[-]f2…]`; `-` sorts descending. Only sortable fields, each once.
 * @returns the sort keys; empty when the text is empty (the listing's default order).
 * @throws ValidationError (target `order_by`) naming the fault and its position.
 */
export function parseOrderBy(text: string): SortKey[] {
  const cursor = new Cursor(text, "order_by");
  if (cursor.atEnd()) return [];
  const keys: SortKey[] = [];
  do {
    cursor.skipSpace();
    const descending = cursor.accept("-");
    const { name, start } = cursor.name(descending ? "a field name after '-'" : "a field name");
    const def = sessionField(name, start, "order_by");
    if (!def.sortable) throw paramError("order_by", `'${name}' is not sortable`, start);
    if (keys.some((key) => key.field === def.name)) {
      throw paramError("order_by", `'${name}' is listed twice`, start);
    }
    keys.push({ field: def.name, direction: descending ? "desc" : "asc" });
  } while (cursor.separator("',' or the end of order_by"));
  return keys;
}

/**
 * Parses `fields=a,b,user{full_name,email}`: which fields a listing returns.
 * @returns the projection, or null when the text is empty (the dialect's default fields).
 * @throws ValidationError (target `fields`) naming the fault and its position.
 */
export function parseFields(text: string): Projection | null {
  const cursor = new Cursor(text, "fields");
  if (cursor.atEnd()) return null;
  const fields: ProjectedField[] = [];
  let userFields: UserFieldName[] | null = null;
  do {
    const { name, start } = cursor.name("a field name");
    const field = projectedField(name, start);
    if (fields.includes(field)) throw paramError("fields", `'${name}' is listed twice`, start);
    fields.push(field);
    cursor.skipSpace();
    if (cursor.peek() !== "{") continue;
    if (field !== "user") throw paramError("fields", `only user takes {…} sub-fields`, cursor.at);
    cursor.accept("{");
    userFields = userSubFields(cursor);
  } while (cursor.separator("',' or the end of fields"));
  return { fields, userFields };
}

/**
 * Parses `group_by=f`: one groupable field, or `creation_time` (alias `start_time`), which
 * groups by time buckets (`interval`, `timezone`) rather than by value.
 * @throws ValidationError (target `group_by`) naming the fault and its position.
 */
export function parseGroupBy(text: string): FieldName {
  const cursor = new Cursor(text, "group_by");
  const { name, start } = cursor.name("a field name");
  const def = sessionField(name, start, "group_by");
  if (!def.groupable && def.name !== "creation_time") {
    throw paramError("group_by", `'${name}' cannot be grouped by`, start);
  }
  cursor.skipSpace();
  if (!cursor.atEnd()) {
    throw new QuerySyntaxError("the end of group_by (one field only)", cursor.at, "group_by");
  }
  return def.name;
}

/** Reads the sub-fields of `user{…}` after its `{`, through the closing `}`. */
function userSubFields(cursor: Cursor): UserFieldName[] {
  const names: UserFieldName[] = [];
  do {
    const { name: written, start } = cursor.name("a user field");
    // Octane's user entities call the login `name`.
    const name = written === "name" ? "login" : written;
    if (!isUserFieldName(name)) throw paramError("fields", `unknown user field '${name}'`, start);
    if (names.includes(name)) throw paramError("fields", `'${name}' is listed twice`, start);
    names.push(name);
  } while (cursor.accept(","));
  if (!cursor.accept("}")) throw new QuerySyntaxError("',' or '}'", cursor.at, "fields");
  return names;
}

function isUserFieldName(name: string): name is UserFieldName {
  return USER_FIELDS.has(name);
}

function sessionField(name: string, start: number, target: Target): FieldDef {
  const def = lookupField(name);
  if (def === undefined || def.userSubField) {
    throw paramError(target, `unknown field '${name}'`, start);
  }
  return def;
}

function projectedField(name: string, start: number): ProjectedField {
  if (name === "client_info") return name;
  const def = sessionField(name, start, "fields");
  // The catalog's non-user names are exactly ProjectedField minus client_info.
  return def.name as ProjectedField;
}

function paramError(target: Target, message: string, position: number): ValidationError {
  return new ValidationError(`${target}: ${message} at ${position}`, { target, position });
}

/** Reads a comma-separated parameter left to right, keeping positions for errors. */
class Cursor {
  at = 0;

  constructor(
    private readonly text: string,
    private readonly target: Target,
  ) {}

  atEnd(): boolean {
    this.skipSpace();
    return this.at >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.at];
  }

  skipSpace(): void {
    while (this.at < this.text.length && SPACE.test(this.text[this.at]!)) this.at++;
  }

  accept(char: string): boolean {
    this.skipSpace();
    if (this.text[this.at] !== char) return false;
    this.at++;
    return true;
  }

  name(expected: string): { name: string; start: number } {
    this.skipSpace();
    NAME.lastIndex = this.at;
    const match = NAME.exec(this.text);
    if (match === null) throw new QuerySyntaxError(expected, this.at, this.target);
    const start = this.at;
    this.at += match[0].length;
    return { name: match[0], start };
  }

  /** True after a `,`; false at the end; throws on anything else. */
  separator(expected: string): boolean {
    if (this.accept(",")) return true;
    if (this.atEnd()) return false;
    throw new QuerySyntaxError(expected, this.at, this.target);
  }
}
