import { describe, expect, test } from "vitest";
import { type Token, tokenize } from "./lexer.js";

const kinds = (text: string) =>
  tokenize(text).map((token) => {
    switch (token.kind) {
      case "string":
        return `string:${token.parts.join("|")}`;
      case "end":
        return "end";
      default:
        return `${token.kind}:${token.text}`;
    }
  });

describe("tokenize", () => {
  test("gives 0-based start and end positions and ends with an end token", () => {
    const tokens = tokenize("id EQ 1001");
    expect(tokens.map(({ start, end }) => [start, end])).toEqual([
      [0, 2],
      [3, 5],
      [6, 10],
      [10, 10],
    ]);
  });

  test("reads only the given range, keeping positions in the whole text", () => {
    const tokens = tokenize(`"(id=1)"`, 1, 7);
    expect(tokens[0]).toMatchObject({ kind: "punct", text: "(", start: 1 });
    expect(tokens.at(-1)).toEqual({ kind: "end", start: 7, end: 7 });
  });

  test("reads symbol operators longest first", () => {
    expect(kinds("a<=1;b>=2;c<>3;d<4||e>5;f=6")).toEqual([
      "word:a",
      "punct:<=",
      "number:1",
      "punct:;",
      "word:b",
      "punct:>=",
      "number:2",
      "punct:;",
      "word:c",
      "punct:<>",
      "number:3",
      "punct:;",
      "word:d",
      "punct:<",
      "number:4",
      "punct:||",
      "word:e",
      "punct:>",
      "number:5",
      "punct:;",
      "word:f",
      "punct:=",
      "number:6",
      "end",
    ]);
  });

  test("keeps a number apart from a following range", () => {
    expect(kinds("12...16")).toEqual(["number:12", "punct:...", "number:16", "end"]);
    expect(kinds("1.5...-2.25")).toEqual(["number:1.5", "punct:...", "number:-2.25", "end"]);
  });

  test("reads the ellipsis character as a range", () => {
    expect(kinds("12…16")).toEqual(["number:12", "punct:...", "number:16", "end"]);
  });

  test("joins dotted names but not a range after a name", () => {
    expect(kinds("user.id")).toEqual(["word:user.id", "end"]);
    expect(kinds("a...b")).toEqual(["word:a", "punct:...", "word:b", "end"]);
  });

  test("reads strings in single quotes and carets, with escapes", () => {
    expect(kinds(String.raw`'it\'s' ^a\^b^ 'back\\slash'`)).toEqual([
      "string:it's",
      "string:a^b",
      "string:back\\slash",
      "end",
    ]);
  });

  test("splits strings at unescaped stars and collapses runs of them", () => {
    expect(kinds(String.raw`'ab*c' '*x*' '*' 'a**b' 'a\*b' '*\**'`)).toEqual([
      "string:ab|c",
      "string:|x|",
      "string:|",
      "string:a|b",
      "string:a*b",
      "string:|*|",
      "end",
    ]);
  });

  test("reads macros in brackets", () => {
    expect(kinds("[current_user],1")).toEqual([
      "macro:[current_user]",
      "punct:,",
      "number:1",
      "end",
    ]);
  });

  test("turns an unknown character into a bad token and goes on", () => {
    expect(kinds("a # b")).toEqual(["word:a", "bad:#", "word:b", "end"]);
    expect(kinds("a | b")).toEqual(["word:a", "bad:|", "word:b", "end"]);
    expect(kinds("-x")).toEqual(["bad:-", "word:x", "end"]);
  });

  test("reports an unterminated string at the end, with what would close it", () => {
    const tokens = tokenize("id='abc");
    expect(tokens[2]).toMatchObject({ kind: "bad", expected: "a closing '", start: 7 });
    const escapedQuote = tokenize(String.raw`^abc\^`);
    expect(escapedQuote[0]).toMatchObject({ kind: "bad", expected: "a closing ^", start: 6 });
  });

  test("a string may hold anything, including quotes of the other kind and spaces", () => {
    const [token] = tokenize(`'a "b" ^c^ ; ||'`) as [Token];
    expect(token).toMatchObject({ kind: "string", parts: [`a "b" ^c^ ; ||`] });
  });
});
