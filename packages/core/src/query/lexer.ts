/**
 * Splits Octane query text into tokens. Positions are 0-based offsets into the text the
 * caller passes, so errors point into the original input. The lexer never throws: a
 * character it cannot use becomes a `bad` token, and the parser reports it in context.
 */

export type Punct =
  | "("
  | ")"
  | "{"
  | "}"
  | ";"
  | "||"
  | "!"
  | ","
  | "="
  | "<"
  | ">"
  | "<="
  | ">="
  | "<>"
  | "...";

/** A token and the source range `[start, end)` it came from. */
export type Token = TokenBody & { start: number; end: number };

type TokenBody =
  /** A field name, operator keyword, `true`, `false` or `null`. */
  | { kind: "word"; text: string }
  | { kind: "number"; text: string }
  /** A quoted string split at its unescaped `*`s: one part means no wildcard. */
  | { kind: "string"; parts: readonly string[] }
  | { kind: "punct"; text: Punct }
  /** An Octane macro such as `[current_user]`. */
  | { kind: "macro"; text: string }
  /** Unusable input; `expected` says what would have fixed it when the lexer knows. */
  | { kind: "bad"; text: string; expected?: string }
  | { kind: "end" };

// Longer symbols first, so `<=` is not read as `<` then `=`.
const SYMBOLS: readonly Punct[] = [
  "||",
  "<=",
  ">=",
  "<>",
  "...",
  "(",
  ")",
  "{",
  "}",
  ";",
  "!",
  ",",
  "=",
  "<",
  ">",
];
const WORD_START = /[A-Za-z_]/;
const WORD_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;
const SPACE = /\s/;
const MACRO = /\[[A-Za-z_]+\]/y;

/** Tokenises `text[start, end)`; the last token is always `end`. */
export function tokenize(text: string, start = 0, end = text.length): Token[] {
  const tokens: Token[] = [];
  let i = start;
  while (i < end) {
    const c = text[i]!;
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    const token = readToken(text, i, end);
    tokens.push(token);
    i = token.end;
  }
  tokens.push({ kind: "end", start: end, end });
  return tokens;
}

function readToken(text: string, at: number, end: number): Token {
  const c = text[at]!;
  if (c === "'" || c === "^") return readString(text, at, end);
  if (WORD_START.test(c)) return readWord(text, at, end);
  if (DIGIT.test(c) || (c === "-" && at + 1 < end && DIGIT.test(text[at + 1]!))) {
    return readNumber(text, at, end);
  }
  if (c === "[") {
    MACRO.lastIndex = at;
    const macro = MACRO.exec(text)?.[0];
    if (macro !== undefined && at + macro.length <= end) {
      return { kind: "macro", text: macro, start: at, end: at + macro.length };
    }
  }
  // Octane's docs print ranges with the ellipsis character: `id BTW 12…16`.
  if (c === "…") return { kind: "punct", text: "...", start: at, end: at + 1 };
  for (const symbol of SYMBOLS) {
    if (at + symbol.length <= end && text.startsWith(symbol, at)) {
      return { kind: "punct", text: symbol, start: at, end: at + symbol.length };
    }
  }
  return { kind: "bad", text: c, start: at, end: at + 1 };
}

function readWord(text: string, at: number, end: number): Token {
  let i = at + 1;
  while (i < end) {
    if (WORD_PART.test(text[i]!)) i++;
    // A dot joins words (`user.id`) but never starts a range (`...`).
    else if (text[i] === "." && i + 1 < end && WORD_START.test(text[i + 1]!)) i += 2;
    else break;
  }
  return { kind: "word", text: text.slice(at, i), start: at, end: i };
}

function readNumber(text: string, at: number, end: number): Token {
  let i = at + 1;
  while (i < end && DIGIT.test(text[i]!)) i++;
  // `12...16` is a range, so a dot belongs to the number only when a digit follows it.
  if (text[i] === "." && i + 1 < end && DIGIT.test(text[i + 1]!)) {
    i += 2;
    while (i < end && DIGIT.test(text[i]!)) i++;
  }
  return { kind: "number", text: text.slice(at, i), start: at, end: i };
}

function readString(text: string, at: number, end: number): Token {
  const quote = text[at]!;
  const parts: string[] = [];
  let part = "";
  let afterStar = false;
  let i = at + 1;
  while (i < end) {
    const c = text[i]!;
    if (c === quote) {
      parts.push(part);
      return { kind: "string", parts, start: at, end: i + 1 };
    }
    if (c === "\\") {
      if (i + 1 >= end) break;
      part += text[i + 1];
      afterStar = false;
      i += 2;
      continue;
    }
    if (c === "*") {
      // `a**b` means `a*b`; collapsing keeps patterns canonical for the printer.
      if (!afterStar) parts.push(part);
      part = "";
      afterStar = true;
    } else {
      part += c;
      afterStar = false;
    }
    i++;
  }
  return {
    kind: "bad",
    text: text.slice(at, end),
    expected: `a closing ${quote}`,
    start: end,
    end,
  };
}
