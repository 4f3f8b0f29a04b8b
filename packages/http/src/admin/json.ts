/**
 * JSON bodies read without stalling the host: the parser works in time slices and yields to
 * the event loop between them, so a body of several MiB (a 100,000-id terminate) never holds
 * the thread for long. `JSON.parse` cannot be interrupted; on 5 MiB it takes 25–45 ms, on
 * 8 MiB of numbers over 100 ms, and on 4 million nested arrays a second.
 *
 * It reads exactly what `JSON.parse` reads (RFC 8259) and refuses, naming the offset:
 * nesting deeper than a bound (nothing here recurses, so depth cannot overflow the stack),
 * strings holding a character core's text rule refuses (a control character other than tab
 * and line breaks, DEL, a lone surrogate such as `"\ud800"`, U+FFFE or U+FFFF), which no field
 * of any dialect can mean, and an object giving a key twice, which `JSON.parse` would read as
 * its last value while an intermediary, a log or a WAF may have read the first.
 */
import { ValidationError } from "@session-ledger/core";
import { SLICE_MS, yieldToEventLoop } from "./slices.js";
import { badCharacterAt, describeCharacter, quote } from "./text.js";

/** Options of {@link parseJsonSliced}. */
export interface ParseJsonOptions {
  /** The deepest nesting of arrays and objects accepted. */
  maxDepth: number;
  /**
   * Reads raw line breaks and tabs inside strings as `\n`, `\r`, `\t` (LogScale's own examples
   * send multi-line GraphQL documents that way). @default false
   */
  rawBreaksInStrings?: boolean;
  /**
   * The most values (objects, arrays, strings, numbers, booleans, nulls) the text may hold.
   * Bounds the allocations, and so the garbage collector's pauses, of the largest bodies.
   */
  maxValues: number;
  /** The longest string (key or value) accepted, in UTF-16 code units. @default 65536 */
  maxStringLength?: number;
  /** How long one slice may run before yielding, in ms. @default SLICE_MS */
  sliceMs?: number;
}

const WHITESPACE = /[ \t\n\r]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// Plain string content, in bounded pieces so that a long string is read across slices too.
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings may not hold them raw
const PLAIN = /[^"\\\u0000-\u001f]{1,4096}/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};
const RAW_BREAKS = new Set(["\n", "\r", "\t"]);
const HEX4 = /^[0-9a-fA-F]{4}$/;

type Container = { kind: "array"; value: unknown[] } | { kind: "object"; value: object };
interface Frame {
  container: Container;
  /** The key whose value is being read, in an object. */
  key: string | null;
}

/** Where the parser is: what it expects next. */
type State = "value" | "after-value" | "key" | "first-key" | "first-value" | "done";

/**
 * Parses JSON text like `JSON.parse`, in slices of at most `sliceMs` with the event loop
 * running between them.
 * @throws ValidationError (target `body`) for text that is not JSON, nests deeper than
 *   `maxDepth`, holds more than `maxValues` values, gives a key twice in one object, or holds
 *   a string that is too long or holds a character refused above; the message says where (an
 *   offset, or the field's path)
 */
export async function parseJsonSliced(text: string, options: ParseJsonOptions): Promise<unknown> {
  const parser = new SlicedJsonParser(text, options);
  const sliceMs = options.sliceMs ?? SLICE_MS;
  // A large text has just been put together from its chunks; let the loop turn first.
  if (text.length > 65_536) await yieldToEventLoop();
  while (!parser.run(performance.now() + sliceMs)) await yieldToEventLoop();
  return parser.result;
}

/** The parser behind {@link parseJsonSliced}; `run` works until done or past a deadline. */
export class SlicedJsonParser {
  result: unknown;
  private pos = 0;
  private state: State = "value";
  private readonly stack: Frame[] = [];
  // A string being read across slices: its pieces so far and where it started.
  private pieces: string[] | null = null;
  private stringStart = 0;
  private stringLength = 0;
  private values = 0;
  private readonly maxDepth: number;
  private readonly maxValues: number;
  private readonly maxStringLength: number;
  private readonly rawBreaks: boolean;

  constructor(
    private readonly text: string,
    options: ParseJsonOptions,
  ) {
    this.maxDepth = options.maxDepth;
    this.maxValues = options.maxValues;
    this.maxStringLength = options.maxStringLength ?? 65_536;
    this.rawBreaks = options.rawBreaksInStrings ?? false;
  }

  /** Parses until the end (true) or until `deadline` (`performance.now()`) passes (false). */
  run(deadline: number): boolean {
    let steps = 0;
    while (this.state !== "done") {
      if (++steps % 256 === 0 && performance.now() > deadline) return false;
      if (this.pieces !== null) {
        const value = this.continueString();
        if (value !== null) this.stringRead(value);
        continue;
      }
      this.step();
    }
    return true;
  }

  private step(): void {
    const { text } = this;
    this.skipWhitespace();
    const at = this.pos;
    const char = text[at];
    switch (this.state) {
      case "first-value":
      case "first-key":
        // An empty array or object closes at once.
        if (char === (this.state === "first-value" ? "]" : "}")) {
          this.pos++;
          this.close();
        } else if (this.state === "first-value") {
          this.readValue(char, at);
        } else {
          this.readKey(char, at);
        }
        return;
      case "value":
        this.readValue(char, at);
        return;
      case "key":
        this.readKey(char, at);
        return;
      case "after-value": {
        const frame = this.stack.at(-1);
        if (frame === undefined) {
          if (at < text.length) throw this.error("unexpected text after the JSON value", at);
          this.state = "done";
          return;
        }
        const closer = frame.container.kind === "array" ? "]" : "}";
        if (char === ",") {
          this.pos++;
          this.state = frame.container.kind === "array" ? "value" : "key";
        } else if (char === closer) {
          this.pos++;
          this.close();
        } else {
          throw this.error(`expected ',' or '${closer}'`, at);
        }
        return;
      }
      case "done":
        return;
    }
  }

  private readValue(char: string | undefined, at: number): void {
    if (char !== undefined && ++this.values > this.maxValues) {
      throw this.error(`more than ${this.maxValues} values`, at, false);
    }
    switch (char) {
      case "{":
      case "[": {
        if (this.stack.length >= this.maxDepth) {
          throw this.error(`nested deeper than ${this.maxDepth} levels`, at, false);
        }
        this.pos++;
        const container: Container =
          char === "[" ? { kind: "array", value: [] } : { kind: "object", value: {} };
        this.stack.push({ container, key: null });
        this.state = char === "[" ? "first-value" : "first-key";
        return;
      }
      case '"':
        this.beginString(at);
        return;
      case "t":
      case "f":
      case "n": {
        const word = char === "t" ? "true" : char === "f" ? "false" : "null";
        if (!this.text.startsWith(word, at)) throw this.error("expected a value", at);
        this.pos += word.length;
        this.complete(char === "t" ? true : char === "f" ? false : null);
        return;
      }
      default: {
        NUMBER.lastIndex = at;
        const number = NUMBER.exec(this.text);
        if (number === null) throw this.error("expected a value", at);
        this.pos = NUMBER.lastIndex;
        this.complete(Number(number[0]));
      }
    }
  }

  private readKey(char: string | undefined, at: number): void {
    if (char !== '"') throw this.error("expected a property name in double quotes", at);
    this.beginString(at);
  }

  private beginString(at: number): void {
    this.pos = at + 1;
    this.stringStart = at;
    this.stringLength = 0;
    this.pieces = [];
  }

  private addPiece(piece: string): void {
    this.stringLength += piece.length;
    if (this.stringLength > this.maxStringLength) {
      throw this.stringError(`longer than ${this.maxStringLength} characters`);
    }
    this.pieces!.push(piece);
  }

  /** Reads on in the current string; its value once the closing quote is reached, else null. */
  private continueString(): string | null {
    const { text } = this;
    const pieces = this.pieces!;
    PLAIN.lastIndex = this.pos;
    const plain = PLAIN.exec(text);
    if (plain !== null) {
      this.addPiece(plain[0]);
      this.pos = PLAIN.lastIndex;
      return null;
    }
    const char = text[this.pos];
    if (char === '"') {
      this.pos++;
      this.pieces = null;
      return pieces.length === 1 ? pieces[0]! : pieces.join("");
    }
    if (char === "\\") {
      const escaped = text[this.pos + 1];
      if (escaped === "u") {
        const hex = text.slice(this.pos + 2, this.pos + 6);
        if (!HEX4.test(hex)) throw this.error("expected four hex digits after \\u", this.pos);
        this.addPiece(String.fromCharCode(Number.parseInt(hex, 16)));
        this.pos += 6;
        return null;
      }
      const unescaped = escaped === undefined ? undefined : ESCAPES[escaped];
      if (unescaped === undefined) throw this.error("expected an escape sequence", this.pos);
      this.addPiece(unescaped);
      this.pos += 2;
      return null;
    }
    if (char === undefined) throw this.error("unterminated string", this.stringStart);
    if (this.rawBreaks && RAW_BREAKS.has(char)) {
      this.addPiece(char);
      this.pos++;
      return null;
    }
    throw this.error(`${describeCharacter(char)} inside a string`, this.pos);
  }

  private stringRead(value: string): void {
    const bad = badCharacterAt(value, { breaks: true });
    if (bad >= 0) throw this.stringError(describeCharacter(value[bad]!, value[bad + 1]), bad);
    if (this.readingKey()) {
      const frame = this.stack.at(-1)!;
      if (Object.hasOwn(frame.container.value, value)) {
        const path = this.path();
        throw this.error(
          `${path && `${path}: `}key ${quote(value)} is given twice`,
          this.stringStart,
          false,
        );
      }
      frame.key = value;
      this.skipWhitespace();
      if (this.text[this.pos] !== ":") throw this.error("expected ':'", this.pos);
      this.pos++;
      this.state = "value";
      return;
    }
    this.complete(value);
  }

  /** A value is read: it goes into the container being read, or is the result. */
  private complete(value: unknown): void {
    const frame = this.stack.at(-1);
    if (frame === undefined) {
      this.result = value;
    } else if (frame.container.kind === "array") {
      frame.container.value.push(value);
    } else {
      const key = frame.key!;
      // As JSON.parse does: `__proto__` is an own property, not the object's prototype.
      if (key === "__proto__") {
        Object.defineProperty(frame.container.value, key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else {
        (frame.container.value as Record<string, unknown>)[key] = value;
      }
      frame.key = null;
    }
    this.state = "after-value";
  }

  private close(): void {
    const frame = this.stack.pop()!;
    this.complete(frame.container.value);
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.exec(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  private readingKey(): boolean {
    return this.state === "key" || this.state === "first-key";
  }

  /** Where the parser is, as the path of the value being read (`query`, `data[3].id`). */
  private path(): string {
    let path = "";
    for (const { container, key } of this.stack) {
      if (container.kind === "array") path += `[${container.value.length}]`;
      else if (key !== null && /^[A-Za-z_$][\w$]*$/.test(key)) path += path ? `.${key}` : key;
      else if (key !== null) path += `[${quote(key)}]`;
    }
    return path;
  }

  /**
   * A string no dialect accepts. The message names its field and the offset in the value
   * (`body: query: control character U+0000 at 3`); for a property name, the offset in the body.
   */
  private stringError(what: string, offset?: number): ValidationError {
    if (this.readingKey()) {
      return this.error(`${what} in a property name`, this.stringStart, false);
    }
    const path = this.path();
    const at = offset === undefined ? "" : ` at ${offset}`;
    return new ValidationError(`body: ${path && `${path}: `}${what}${at}`, { target: "body" });
  }

  private error(what: string, at: number, syntax = true): ValidationError {
    const prefix = syntax ? "body: not valid JSON: " : "body: ";
    const found = at >= this.text.length ? " (the body ends there)" : "";
    return new ValidationError(`${prefix}${what} at ${at}${found}`, {
      target: "body",
      position: at,
    });
  }
}
