/**
 * Writes a filter back as canonical query text: symbol operators, `'…'` strings, `^…^` times
 * with milliseconds, `IN`/`BTW` keywords, `!(…)` negation and only the parentheses precedence
 * needs. `parseQuery(printFilter(f))` gives back `f` for every canonical filter.
 */
import type { CompareOp, Filter, FilterValue } from "./ast.js";
import { type FieldName, fieldDef } from "./fields.js";

const SYMBOLS: Record<CompareOp, string> = { EQ: "=", LT: "<", GT: ">", LE: "<=", GE: ">=" };

/** Canonical query text for `filter`, e.g. `creation_time>^2026-01-28T20:59:59.427Z^;user={id='220001'}`. */
export function printFilter(filter: Filter): string {
  switch (filter.kind) {
    case "and":
      return filter.items
        .map((item) => (item.kind === "or" ? `(${printFilter(item)})` : printFilter(item)))
        .join(";");
    case "or":
      return filter.items.map(printFilter).join("||");
    case "not":
      return `!(${printFilter(filter.item)})`;
    case "user":
      return `user={${printFilter(filter.filter)}}`;
    case "compare":
      return `${printName(filter.field)}${SYMBOLS[filter.op]}${printValue(filter.field, filter.value)}`;
    case "in": {
      const values = filter.values.map((value) => printValue(filter.field, value));
      return `${printName(filter.field)} IN ${values.join(",")}`;
    }
    case "between": {
      const low = printValue(filter.field, filter.low);
      const high = printValue(filter.field, filter.high);
      return `${printName(filter.field)} BTW ${low}...${high}`;
    }
  }
}

/** Inside `user={…}` sub-fields are written bare, as Octane writes them. */
function printName(field: FieldName): string {
  return field.startsWith("user.") ? field.slice("user.".length) : field;
}

function printValue(field: FieldName, value: FilterValue): string {
  switch (value.kind) {
    case "null":
      return fieldDef(field).type === "reference" ? "{null}" : "null";
    case "text":
      return `'${escapeText(value.value)}'`;
    case "pattern":
      return `'${value.parts.map(escapeText).join("*")}'`;
    case "time":
      return `^${new Date(value.value).toISOString()}^`;
  }
}

function escapeText(text: string): string {
  return text.replace(/[\\'^*]/g, "\\$&");
}
