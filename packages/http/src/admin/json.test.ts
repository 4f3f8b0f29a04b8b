import { ValidationError } from "@session-ledger/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJsonSliced, SlicedJsonParser } from "./json.js";
import { badCharacterAt } from "./text.js";

const LIMITS = { maxDepth: 32, maxValues: 100_000 };
const parse = (text: string, options = {}) => parseJsonSliced(text, { ...LIMITS, ...options });

/** The error `parse` rejects with, as `{message, target}`. */
async function failure(text: string, options = {}) {
  const error = await parse(text, options).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ValidationError);
  const { message, target } = error as ValidationError;
  return { message, target };
}

// Strings without the characters the parser refuses on purpose (tested below).
const plainString = fc
  .string({ unit: "grapheme", maxLength: 12 })
  .filter((text) => badCharacterAt(text, { breaks: true }) < 0);
const plainJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, false),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    plainString,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.oneof(plainString, fc.constant("__proto__")), tie("value"), {
      maxKeys: 5,
    }),
  ),
})).value;

describe("parseJsonSliced", () => {
  it("should read exactly what JSON.parse reads, whitespace and escapes included", async () => {
    await fc.assert(
      fc.asyncProperty(plainJson, fc.constantFrom(0, 2, "\t"), async (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expect(await parse(text)).toStrictEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
    expect(await parse('"\\u00e9\\ud83d\\ude00\\/\\n"')).toBe("é😀/\n");
    expect(await parse(" -0 ")).toBe(-0);
    expect(await parse("1e400")).toBe(Number.POSITIVE_INFINITY);
  });

  it("should keep __proto__ an own property, as JSON.parse does", async () => {
    const value = (await parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("should refuse what JSON.parse refuses, with the offset", async () => {
    // Valid documents with one character taken out or put in, and arbitrary text.
    const damaged = fc
      .tuple(plainJson, fc.nat(), fc.constantFrom("", ",", "]", "}", '"', "\\", "e", "-", "0"))
      .map(([value, at, inserted]) => {
        const text = JSON.stringify(value);
        const cut = at % (text.length + 1);
        return text.slice(0, cut) + inserted + text.slice(cut + (inserted === "" ? 1 : 0));
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(damaged, fc.string({ maxLength: 20 })), async (text) => {
        // Escaped control characters, DEL and lone surrogates are refused on purpose (below).
        fc.pre(!/\\u|[\u007f\ud800-\udfff]/.test(text));
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const accepted = await parse(text).then(
          () => true,
          (error: unknown) => {
            expect(error).toBeInstanceOf(ValidationError);
            return false;
          },
        );
        expect(accepted).toBe(valid);
      }),
      { numRuns: 300 },
    );
    expect(await failure('{"data":[{"is_closed":tru')).toEqual({
      message: "body: not valid JSON: expected a value at 22",
      target: "body",
    });
    expect((await failure('{"a":1} x')).message).toBe(
      "body: not valid JSON: unexpected text after the JSON value at 8",
    );
    expect((await failure('{"a":1')).message).toMatch(/expected ',' or '}' at 6 \(the body ends/);
  });

  it("should refuse nesting deeper than maxDepth without recursing", async () => {
    const deep = `{"limit":${"[".repeat(30_000)}${"]".repeat(30_000)}}`;
    expect(await failure(deep)).toEqual({
      message: "body: nested deeper than 32 levels at 40",
      target: "body",
    });
    // Exactly the limit still parses, to the value JSON.parse reads.
    const limit = `${"[".repeat(32)}${"]".repeat(32)}`;
    expect(await parse(limit)).toEqual(JSON.parse(limit));
  });

  it("should refuse more values than maxValues and longer strings than maxStringLength", async () => {
    expect((await failure("[1,2,3,4]", { maxValues: 3 })).message).toBe(
      "body: more than 3 values at 5",
    );
    expect((await failure(`{"query":"${"x".repeat(11)}"}`, { maxStringLength: 10 })).message).toBe(
      "body: query: longer than 10 characters",
    );
  });

  it("should refuse control characters, DEL and lone surrogates in strings, naming the field", async () => {
    expect((await failure('{"query":"client_type=\'UI\\u0000\'"}')).message).toBe(
      "body: query: control character U+0000 at 15",
    );
    expect((await failure('{"data":[{"id":"a\\u007f"}]}')).message).toBe(
      "body: data[0].id: control character U+007F at 1",
    );
    expect((await failure('{"query":"\\ud800"}')).message).toBe(
      "body: query: lone surrogate U+D800 at 0",
    );
    expect((await failure('{"a b":{"x":"\\udc00"}}')).message).toBe(
      "body: ['a b'].x: lone surrogate U+DC00 at 0",
    );
    expect((await failure('{"k\\u0001":1}')).message).toBe(
      "body: control character U+0001 in a property name at 1",
    );
    expect((await failure('"a\u0001"')).message).toBe(
      "body: not valid JSON: control character U+0001 inside a string at 2",
    );
    expect((await failure('["\\b"]')).message).toBe("body: [0]: control character U+0008 at 0");
    // Tab and line breaks are text (a multi-line query); a pair of surrogates is one character.
    expect(await parse('"a\\tb\\r\\n\\ud83d\\ude00"')).toBe("a\tb\r\n😀");
  });

  it("should read raw line breaks and tabs inside strings only when told to", async () => {
    const options = { rawBreaksInStrings: true };
    expect(await parse('{"query": "a\n\tb"}', options)).toEqual({ query: "a\n\tb" });
    expect(await parse('{"query":\n"a \\"q\\"\r\nb"}', options)).toEqual({ query: 'a "q"\r\nb' });
    expect(await parse('{"a":"\\\\"}', options)).toEqual({ a: "\\" });
    expect((await failure('{"query": "a\u0001"}', options)).message).toMatch(/U\+0001/);
    expect((await failure('{"query": "open\n', options)).message).toMatch(/unterminated string/);
    expect((await failure('{"query": "a\nb"}')).message).toMatch(/U\+000A inside a string/);
  });

  it("should stop at its deadline and go on from there", () => {
    const text = JSON.stringify({
      data: Array.from({ length: 5000 }, (_, i) => ({ id: `s${i}` })),
    });
    const parser = new SlicedJsonParser(text, LIMITS);
    let slices = 1;
    while (!parser.run(performance.now() - 1)) slices++;
    expect(slices).toBeGreaterThan(10);
    expect(parser.result).toEqual(JSON.parse(text));
  });
});
