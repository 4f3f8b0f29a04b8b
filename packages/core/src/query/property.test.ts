import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ValidationError } from "../errors.js";
import { normalizeIp } from "../model/ip.js";
import type { CompareOp, Filter, FilterValue } from "./ast.js";
import { FIELDS, type FieldDef } from "./fields.js";
import { resolveLimits } from "./limits.js";
import { parseQuery } from "./parser.js";
import { printFilter } from "./printer.js";

const RUNS = { numRuns: 2000 };
/** Generated filters may be long and deep; these properties are about meaning, not limits. */
const NO_LIMITS = {
  limits: resolveLimits({ maxLength: 1_000_000, maxDepth: 1_000, maxNodes: 1_000_000 }),
};

/** Characters the grammar cares about, mixed with anything at all. */
const special = fc.constantFrom(
  "'",
  "^",
  "\\",
  "*",
  '"',
  " ",
  ";",
  "|",
  "{",
  "}",
  "(",
  ")",
  "…",
  ".",
);
const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.string({ unit: special, maxLength: 6 }),
);
const nonEmptyText = anyText.filter((text) => text.length > 0);

const textValue = anyText.map((value): FilterValue => ({ kind: "text", value }));
/** Canonical patterns: at least two parts, no empty part in the middle (that would be `**`). */
const pattern = fc
  .tuple(anyText, fc.array(nonEmptyText, { maxLength: 2 }), anyText)
  .map(
    ([first, middle, last]): FilterValue => ({ kind: "pattern", parts: [first, ...middle, last] }),
  );
const ip = fc
  .oneof(fc.ipV4(), fc.ipV6())
  .map((address): FilterValue => ({ kind: "text", value: normalizeIp(address)! }));
const time = fc
  .integer({
    min: Date.parse("0000-01-01T00:00:00.000Z"),
    max: Date.parse("9999-12-31T23:59:59.999Z"),
  })
  .map((value): FilterValue => ({ kind: "time", value }));
const nullValue = fc.constant<FilterValue>({ kind: "null" });

/** A value for `def` used as `use`: nulls and patterns only where EQ/IN allow them. */
function valueFor(def: FieldDef, use: "EQ" | "ORDER" | "IN" | "BTW"): fc.Arbitrary<FilterValue> {
  const isEquality = use === "EQ" || use === "IN";
  const enumValue = (values: readonly string[]) =>
    fc.constantFrom(...values).map((value): FilterValue => ({ kind: "text", value }));
  const plain = {
    id: () => textValue,
    text: () => textValue,
    enum: () => enumValue(def.enumValues ?? []),
    ip: () => ip,
    time: () => time,
    reference: () => nullValue,
  }[def.type]();
  const choices = [plain];
  if (isEquality) choices.push(nullValue);
  if (isEquality && (def.type === "text" || def.type === "ip")) choices.push(pattern);
  return fc.oneof(...choices);
}

function phraseFor(def: FieldDef): fc.Arbitrary<Filter> {
  const field = def.name;
  const equal = valueFor(def, "EQ").map(
    (value): Filter => ({ kind: "compare", field, op: "EQ", value }),
  );
  if (def.type === "reference") return equal;
  const members = fc.array(valueFor(def, "IN"), { minLength: 1, maxLength: 3 });
  const inList = members.map((values): Filter => ({ kind: "in", field, values }));
  if (def.type === "enum") return fc.oneof(equal, inList);
  const ordered = fc
    .tuple(fc.constantFrom<CompareOp>("LT", "GT", "LE", "GE"), valueFor(def, "ORDER"))
    .map(([op, value]): Filter => ({ kind: "compare", field, op, value }));
  if (def.type === "text") return fc.oneof(equal, ordered, inList);
  const between = fc
    .tuple(valueFor(def, "BTW"), valueFor(def, "BTW"))
    .map(([low, high]): Filter => ({ kind: "between", field, low, high }));
  return fc.oneof(equal, ordered, inList, between);
}

/** Flattens nested and/or of one kind, as the parser's canonical form does. */
function combine(kind: "and" | "or", items: Filter[]): Filter {
  return { kind, items: items.flatMap((item) => (item.kind === kind ? item.items : [item])) };
}

function filterTree(phrase: fc.Arbitrary<Filter>, depthIdentifier: string): fc.Arbitrary<Filter> {
  return fc.letrec<{ tree: Filter; not: Filter; and: Filter; or: Filter }>((tie) => ({
    tree: fc.oneof(
      { maxDepth: 3, depthSize: "small", depthIdentifier },
      phrase,
      tie("not"),
      tie("and"),
      tie("or"),
    ),
    not: tie("tree").map((item): Filter => ({ kind: "not", item })),
    and: fc
      .array(tie("tree"), { minLength: 2, maxLength: 3 })
      .map((items) => combine("and", items)),
    or: fc.array(tie("tree"), { minLength: 2, maxLength: 3 }).map((items) => combine("or", items)),
  })).tree;
}

const userPhrase = fc.oneof(...FIELDS.filter((def) => def.userSubField).map(phraseFor));
const userFilter = filterTree(userPhrase, "user").map(
  (filter): Filter => ({ kind: "user", filter }),
);
const sessionPhrase = fc.oneof(
  ...FIELDS.filter((def) => !def.userSubField).map(phraseFor),
  userFilter,
);
const filter = filterTree(sessionPhrase, "session");

const SEEDS = [
  `"(end_time=null)"`,
  `"(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59Z^;(user={id=220001}))"`,
  `"(id='a';id='b';id='c')"`,
  "id IN [current_user],1001, 1002, 1003",
  "id BTW 12…16",
  "client_type EQ ^test*^",
  "!(license_edition EQ 'Enterprise')",
  "user<>{login='a\\'b'||(email='*@x';full_name>'m')}",
];

/** Pieces of query text, so random strings get near valid queries often. */
const queryPiece = fc.constantFrom(
  ...["(", ")", "{", "}", ";", "||", "|", "!", ",", "=", "<", ">", "<=", ">=", "<>", "...", "…"],
  ...["'", "^", "\\", "*", '"', "[", "]", " ", "-", "1", "12", ".", "x", "EQ", " IN ", " BTW "],
  ...["null", "true", "id", "user", "login", "client_type", "creation_time", "client_ip"],
  ...["status", "'a*'", "'1.2.3.4'", "^2026-01-01^", "'ACTIVE'", "{null}", "[current_user]"],
);

interface Mutation {
  kind: "insert" | "delete" | "replace";
  at: number;
  text: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<Mutation["kind"]>("insert", "delete", "replace"),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  text: fc.oneof(queryPiece, fc.string({ unit: "binary", minLength: 1, maxLength: 2 })),
});

function mutate(query: string, mutations: readonly Mutation[]): string {
  return mutations.reduce((text, { kind, at, text: piece }) => {
    const index = Math.min(text.length, Math.floor(at * (text.length + 1)));
    if (kind === "insert") return text.slice(0, index) + piece + text.slice(index);
    if (kind === "delete") return text.slice(0, index) + text.slice(index + 1);
    return text.slice(0, index) + piece + text.slice(index + piece.length);
  }, query);
}

/** parseQuery either answers or throws a ValidationError whose position lies inside the input. */
function expectCleanOutcome(input: string, options = {}) {
  try {
    parseQuery(input, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    const { position } = error as ValidationError;
    expect(Number.isInteger(position)).toBe(true);
    expect(position).toBeGreaterThanOrEqual(0);
    expect(position).toBeLessThanOrEqual(input.length);
  }
}

describe("query properties", () => {
  test("print then parse gives back every canonical filter", () => {
    fc.assert(
      fc.property(filter, (original) => {
        expect(parseQuery(printFilter(original), NO_LIMITS)).toEqual(original);
      }),
      RUNS,
    );
  });

  test("printing is stable: a printed filter prints the same after a round trip", () => {
    fc.assert(
      fc.property(filter, (original) => {
        const printed = printFilter(original);
        expect(printFilter(parseQuery(printed, NO_LIMITS)!)).toBe(printed);
      }),
      RUNS,
    );
  });

  test("random text never crashes the parser and errors point inside it", () => {
    const input = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.string({ unit: queryPiece, maxLength: 30 }),
    );
    fc.assert(
      fc.property(input, (text) => {
        expectCleanOutcome(text);
        expectCleanOutcome(text, { limits: resolveLimits({ maxLength: 12, maxDepth: 2 }) });
      }),
      RUNS,
    );
  });

  test("mutated valid queries never crash the parser and errors point inside them", () => {
    const valid = fc.oneof(filter.map(printFilter), fc.constantFrom(...SEEDS));
    fc.assert(
      fc.property(valid, fc.array(mutation, { minLength: 1, maxLength: 4 }), (query, mutations) => {
        const text = mutate(query, mutations);
        expectCleanOutcome(text);
        expectCleanOutcome(text, { limits: resolveLimits({ maxLength: 40, maxDepth: 3 }) });
      }),
      RUNS,
    );
  });
});
