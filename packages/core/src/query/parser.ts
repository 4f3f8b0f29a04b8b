/**
 * A recursive-descent parser for the Octane `query` grammar. It validates each phrase against
 * the field catalog as it reads it, so the result is the typed, canonical `Filter`: nested
 * `and`/`or` of one kind are flattened and a parenthesised phrase is just the phrase.
 *
 *   query   := or END
 *   or      := and ('||' and)*
 *   and     := unary (';' unary)*
 *   unary   := '!' unary | '(' or ')' | phrase
 *   phrase  := FIELD op operand
 */
import { QuerySyntaxError } from "../errors.js";
import type { CompareOp, Filter } from "./ast.js";
import { checkShape, measureFilter, tooManyWildcards } from "./check-filter.js";
import { type CheckedFilter, markChecked } from "./checked.js";
import type { FieldDef } from "./fields.js";
import { type Punct, type Token, tokenize } from "./lexer.js";
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from "./limits.js";
import {
  checkOperator,
  type Operator,
  queryError,
  type RawValue,
  resolveField,
  type Scope,
  toFilterValue,
} from "./validate.js";

export interface ParseQueryOptions {
  /**
   * The bounds the query must keep: `maxLength` (its text), `maxDepth` (every `(`, `{` and `!`
   * a phrase sits inside), `maxNodes` (its phrases and their combinations) and `maxWildcards`
   * (the `*` of all its patterns).
   * @default DEFAULT_QUERY_LIMITS
   */
  limits?: QueryLimits;
}

/**
 * Parses and validates an Octane query into the typed filter AST. The text may be wrapped in
 * one pair of double quotes, as Octane URLs write it (`query="(end_time=null)"`).
 *
 * @returns the filter, or null when the query is empty (no filtering).
 * @throws QuerySyntaxError when the text does not follow the grammar.
 * @throws ValidationError when it names an unknown field, a wrong value or operator for a
 *   field, or goes over a limit. Every error's `position` is an offset into `text`.
 */
export function parseQuery(text: string, options: ParseQueryOptions = {}): CheckedFilter | null {
  const limits = options.limits ?? DEFAULT_QUERY_LIMITS;
  if (text.length > limits.maxLength) {
    throw queryError(`longer than the limit of ${limits.maxLength} characters`, limits.maxLength);
  }
  const [start, end] = unquote(text);
  const tokens = tokenize(text, start, end);
  if (tokens.length === 1) return null;
  let wildcards = 0;
  for (const token of tokens) {
    if (token.kind !== "string") continue;
    wildcards += token.parts.length - 1;
    if (wildcards > limits.maxWildcards) throw queryError(tooManyWildcards(limits), token.start);
  }
  const filter = new Parser(text, tokens, limits.maxDepth).query();
  // Every phrase was checked against the catalog as it was read; what is left is the size.
  const shape = measureFilter(filter, "query");
  checkShape(shape, limits);
  return markChecked(filter, shape);
}

function unquote(text: string): [number, number] {
  let start = 0;
  let end = text.length;
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  if (text[start] !== '"') return [start, end];
  if (end - start >= 2 && text[end - 1] === '"') return [start + 1, end - 1];
  throw new QuerySyntaxError(`a closing '"'`, end);
}

const OPERATORS: Readonly<Record<string, Operator>> = {
  EQ: "EQ",
  LT: "LT",
  GT: "GT",
  LE: "LE",
  GE: "GE",
  IN: "IN",
  BTW: "BTW",
  NE: "NE",
  "=": "EQ",
  "<": "LT",
  ">": "GT",
  "<=": "LE",
  ">=": "GE",
  "<>": "NE",
};

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: readonly Token[],
    private readonly maxDepth: number,
  ) {}

  query(): Filter {
    const filter = this.or("session");
    const token = this.peek();
    if (token.kind !== "end") throw this.unexpected("';', '||' or the end of the query", token);
    return filter;
  }

  private or(scope: Scope): Filter {
    const items = [this.and(scope)];
    while (this.accept("||")) items.push(this.and(scope));
    return combine("or", items);
  }

  private and(scope: Scope): Filter {
    const items = [this.unary(scope)];
    while (this.accept(";")) items.push(this.unary(scope));
    return combine("and", items);
  }

  private unary(scope: Scope): Filter {
    const token = this.peek();
    if (this.accept("!")) {
      return this.nested(token, () => ({ kind: "not", item: this.unary(scope) }));
    }
    if (this.accept("(")) {
      return this.nested(token, () => {
        const inner = this.or(scope);
        this.expect(")", "';', '||' or ')'");
        return inner;
      });
    }
    return this.phrase(scope);
  }

  private phrase(scope: Scope): Filter {
    const name = this.peek();
    if (name.kind !== "word") throw this.unexpected(`a field, '(' or '!'${this.after()}`, name);
    this.index++;
    const def = resolveField(name.text, scope, name.start);
    const opToken = this.peek();
    const op = operatorOf(opToken);
    if (op === undefined) {
      throw this.unexpected(`an operator after ${this.quote(name.start, name.end)}`, opToken);
    }
    this.index++;
    checkOperator(def, op, this.text.slice(opToken.start, opToken.end), opToken.start);
    const expected = `a value after ${this.quote(name.start, opToken.end)}`;
    switch (op) {
      case "IN":
        return this.inList(def, expected);
      case "BTW":
        return this.between(def, name.start, expected);
      case "NE":
        return { kind: "not", item: this.comparison(def, "EQ", expected) };
      default:
        return this.comparison(def, op, expected);
    }
  }

  private inList(def: FieldDef, expected: string): Filter {
    const values = [toFilterValue(def, this.value(def, expected), "IN")];
    while (this.accept(",")) {
      values.push(toFilterValue(def, this.value(def, "a value after ','"), "IN"));
    }
    return { kind: "in", field: def.name, values };
  }

  private between(def: FieldDef, phraseStart: number, expected: string): Filter {
    const low = toFilterValue(def, this.value(def, expected), "BTW");
    const dots = this.peek();
    if (!this.accept("...")) {
      throw this.unexpected(`'...' after ${this.quote(phraseStart, this.previousEnd())}`, dots);
    }
    const afterDots = `a value after ${this.quote(phraseStart, dots.end)}`;
    const high = toFilterValue(def, this.value(def, afterDots), "BTW");
    return { kind: "between", field: def.name, low, high };
  }

  private comparison(def: FieldDef, op: CompareOp, expected: string): Filter {
    const token = this.peek();
    if (def.type === "reference" && isPunct(token, "{") && !this.atNullReference()) {
      this.index++;
      return this.nested(token, () => {
        const filter = this.or("user");
        this.expect("}", "';', '||' or '}'");
        return { kind: "user", filter };
      });
    }
    const value = toFilterValue(def, this.value(def, expected), op);
    return { kind: "compare", field: def.name, op, value };
  }

  private value(def: FieldDef, expected: string): RawValue {
    const token = this.peek();
    const start = token.start;
    if (this.atNullReference()) {
      this.index += 3;
      return { kind: "null", start };
    }
    if (isPunct(token, "{")) throw queryError(`'${def.name}' takes no {…} cross-filter`, start);
    switch (token.kind) {
      case "number":
        this.index++;
        return { kind: "number", text: token.text, start };
      case "macro":
        this.index++;
        return { kind: "macro", text: token.text, start };
      case "string":
        this.index++;
        return { kind: "string", parts: token.parts, start };
      case "word":
        if (token.text === "null") {
          this.index++;
          return { kind: "null", start };
        }
        if (token.text === "true" || token.text === "false") {
          this.index++;
          return { kind: "boolean", text: token.text, start };
        }
    }
    throw this.unexpected(expected, token);
  }

  /** `{null}`, Octane's null for reference fields. */
  private atNullReference(): boolean {
    const [open, word, close] = this.tokens.slice(this.index, this.index + 3);
    return (
      open !== undefined &&
      isPunct(open, "{") &&
      word?.kind === "word" &&
      word.text === "null" &&
      close !== undefined &&
      isPunct(close, "}")
    );
  }

  /** Runs `parse` one level deeper, so a hostile query meets the limit, not the stack's. */
  private nested(opener: Token, parse: () => Filter): Filter {
    this.depth++;
    if (this.depth > this.maxDepth) {
      throw queryError(`nesting deeper than the limit of ${this.maxDepth}`, opener.start);
    }
    const filter = parse();
    this.depth--;
    return filter;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private accept(punct: Punct): boolean {
    if (!isPunct(this.peek(), punct)) return false;
    this.index++;
    return true;
  }

  private expect(punct: Punct, expected: string): void {
    if (!this.accept(punct)) throw this.unexpected(expected, this.peek());
  }

  private unexpected(expected: string, token: Token): QuerySyntaxError {
    if (token.kind === "bad" && token.expected !== undefined) {
      return new QuerySyntaxError(token.expected, token.start);
    }
    return new QuerySyntaxError(expected, token.start);
  }

  private previousEnd(): number {
    return this.tokens[this.index - 1]?.end ?? 0;
  }

  private after(): string {
    const previous = this.tokens[this.index - 1];
    return previous === undefined ? "" : ` after ${this.quote(previous.start, previous.end)}`;
  }

  /** Source text for an error message, cut short so a long value cannot bloat it. */
  private quote(start: number, end: number): string {
    const source = this.text.slice(start, end);
    return `'${source.length > 40 ? `…${source.slice(-39)}` : source}'`;
  }
}

function isPunct(token: Token, punct: Punct): boolean {
  return token.kind === "punct" && token.text === punct;
}

function operatorOf(token: Token): Operator | undefined {
  if (token.kind !== "word" && token.kind !== "punct") return undefined;
  return Object.hasOwn(OPERATORS, token.text) ? OPERATORS[token.text] : undefined;
}

function combine(kind: "and" | "or", items: Filter[]): Filter {
  if (items.length === 1) return items[0]!;
  return { kind, items: items.flatMap((item) => (item.kind === kind ? item.items : [item])) };
}
