/**
 * Checks a filter AST that did not come from the parser (a host building one by hand, or a
 * value that crossed a process boundary) against the same catalog rules and limits, so every
 * store only ever translates well-formed filters. A filter checked once (by the parser, or
 * here) is not walked again: only its recorded size is held against the limits.
 */
import { ValidationError } from "../errors.js";
import { quote } from "../lifecycle/arguments.js";
import { normalizeIp } from "../model/ip.js";
import type { CompareOp, Filter, FilterValue } from "./ast.js";
import { type CheckedFilter, type FilterShape, markChecked, shapeOf } from "./checked.js";
import { type FieldDef, lookupField } from "./fields.js";
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from "./limits.js";

const COMPARE_OPS: readonly CompareOp[] = ["EQ", "LT", "GT", "LE", "GE"];

const tooBig = (source: string, message: string) =>
  new ValidationError(`${source}: ${message}`, { target: source, code: "INVALID_QUERY" });

/** Holds a filter's size against the limits; the error names the parameter it came from. */
export function checkShape(shape: FilterShape, limits: QueryLimits): void {
  if (shape.nodes > limits.maxNodes) {
    throw tooBig(shape.source, `more than ${limits.maxNodes} conditions`);
  }
  if (shape.depth > limits.maxDepth) {
    throw tooBig(shape.source, `nested deeper than the limit of ${limits.maxDepth}`);
  }
  if (shape.wildcards > limits.maxWildcards) throw tooBig(shape.source, tooManyWildcards(limits));
}

/** The message for a filter over `maxWildcards`, naming the bound. */
export const tooManyWildcards = (limits: QueryLimits) =>
  `more than ${limits.maxWildcards} wildcards '*' (the bound maxWildcards)`;

/** The wildcards of a filter value: one between each two parts of a pattern. */
const wildcardsOf = (value: FilterValue): number =>
  value.kind === "pattern" ? value.parts.length - 1 : 0;

/** Depth and size of a well-formed filter (the parser's output). */
export function measureFilter(filter: Filter, source: string): FilterShape {
  let nodes = 0;
  let wildcards = 0;
  const depthOf = (node: Filter): number => {
    nodes++;
    switch (node.kind) {
      case "compare":
        wildcards += wildcardsOf(node.value);
        return 0;
      case "in":
        for (const value of node.values) wildcards += wildcardsOf(value);
        return 0;
      case "and":
      case "or":
        return 1 + Math.max(...node.items.map(depthOf));
      case "not":
        return 1 + depthOf(node.item);
      case "user":
        return 1 + depthOf(node.filter);
      default:
        return 0;
    }
  };
  const depth = depthOf(filter);
  return { depth, nodes, wildcards, source };
}

/**
 * Checks a filter against the catalog and `limits`, and returns it as a `CheckedFilter`.
 * @param target the parameter the filter came in, named by errors. @default "filter"
 * @throws ValidationError naming the first fault
 */
export function checkFilter(
  filter: Filter | null,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
  target = "filter",
): CheckedFilter | null {
  if (filter === null) return null;
  const known = shapeOf(filter);
  if (known) {
    checkShape(known, limits);
    return filter as CheckedFilter;
  }
  const invalid = (message: string) =>
    new ValidationError(`${target}: ${message}`, { target, code: "INVALID_QUERY" });
  let nodes = 0;
  let deepest = 0;
  let wildcards = 0;

  const field = (name: unknown, inUser: boolean): FieldDef => {
    const def = typeof name === "string" ? lookupField(name) : undefined;
    if (!def || def.name !== name) throw invalid(`unknown field ${quote(name)}`);
    if (def.userSubField !== inUser) {
      throw invalid(
        inUser
          ? `'${def.name}' is not a user field`
          : `'${def.name}' is only valid inside a user filter`,
      );
    }
    return def;
  };

  // Each check below reads a property of the host's object once and builds the checked filter
  // from what it read: a getter cannot answer one thing to the check and another to a store,
  // and keys the AST does not define (\`$where\`, \`__proto__\`) are not carried over.
  const value = (def: FieldDef, v: FilterValue, use: "equality" | "order"): FilterValue => {
    const where = `value for '${def.name}'`;
    if (v === null || typeof v !== "object") throw invalid(`${where} must be a filter value`);
    const kind = v.kind;
    switch (kind) {
      case "null":
        if (use !== "equality") throw invalid(`${where}: null only compares with EQ or IN`);
        return { kind };
      case "time": {
        const time = v.value;
        if (def.type !== "time" || typeof time !== "number" || !Number.isFinite(time)) {
          throw invalid(`${where} must be ${def.type === "time" ? "a finite time" : "text"}`);
        }
        return { kind, value: time };
      }
      case "pattern": {
        if (use !== "equality" || (def.type !== "text" && def.type !== "ip")) {
          throw invalid(`${where}: wildcards only match text and IP fields with EQ or IN`);
        }
        const given = v.parts;
        const parts = Array.isArray(given) ? [...given] : [];
        if (parts.length < 2 || !parts.every((p) => typeof p === "string")) {
          throw invalid(`${where}: a pattern has two or more text parts`);
        }
        wildcards += parts.length - 1;
        if (wildcards > limits.maxWildcards) throw invalid(tooManyWildcards(limits));
        return { kind, parts };
      }
      case "text": {
        const text = v.value;
        if (typeof text !== "string" || def.type === "time" || def.type === "reference") {
          throw invalid(`${where} must be ${def.type === "time" ? "a time" : "text"}`);
        }
        if (def.type === "enum" && !def.enumValues?.includes(text)) {
          throw invalid(`${where} must be one of ${def.enumValues?.join(", ")}`);
        }
        if (def.type === "ip" && normalizeIp(text) !== text) {
          throw invalid(`${where} must be a normalised IP address`);
        }
        return { kind, value: text };
      }
      default:
        throw invalid(`${where} has an unknown kind`);
    }
  };

  const visit = (node: Filter, depth: number, inUser: boolean): Filter => {
    if (++nodes > limits.maxNodes) throw invalid(`more than ${limits.maxNodes} conditions`);
    if (depth > limits.maxDepth)
      throw invalid(`nested deeper than the limit of ${limits.maxDepth}`);
    deepest = Math.max(deepest, depth);
    if (node === null || typeof node !== "object") throw invalid("every node must be an object");
    const kind = node.kind;
    switch (kind) {
      case "and":
      case "or": {
        const items = node.items;
        if (!Array.isArray(items) || items.length === 0) {
          throw invalid(`'${kind}' needs at least one item`);
        }
        return { kind, items: items.map((item: Filter) => visit(item, depth + 1, inUser)) };
      }
      case "not":
        return { kind, item: visit(node.item, depth + 1, inUser) };
      case "user":
        if (inUser) throw invalid("user filters do not nest");
        return { kind, filter: visit(node.filter, depth + 1, true) };
      case "compare": {
        const def = field(node.field, inUser);
        const op = node.op;
        if (!COMPARE_OPS.includes(op)) throw invalid(`unknown operator ${quote(op)}`);
        const given = node.value;
        if (def.type === "reference" && given?.kind !== "null") {
          throw invalid(
            "'user' is compared only with null; filter its fields inside a user filter",
          );
        }
        if (op !== "EQ" && def.type === "enum") throw invalid(`'${def.name}' takes only EQ and IN`);
        // A reference field takes no text, time or pattern value, so a kind that changed since
        // the check above fails in value() too: what is returned holds null.
        const checked = value(def, given, op === "EQ" ? "equality" : "order");
        return { kind, field: def.name, op, value: checked };
      }
      case "in": {
        const def = field(node.field, inUser);
        const given = node.values;
        if (def.type === "reference" || !Array.isArray(given) || given.length === 0) {
          throw invalid(`IN on '${def.name}' needs one or more values`);
        }
        return {
          kind,
          field: def.name,
          values: given.map((v: FilterValue) => value(def, v, "equality")),
        };
      }
      case "between": {
        const def = field(node.field, inUser);
        if (def.type === "text" || def.type === "enum" || def.type === "reference") {
          throw invalid(`BTW is not allowed on ${def.type} field '${def.name}'`);
        }
        return {
          kind,
          field: def.name,
          low: value(def, node.low, "order"),
          high: value(def, node.high, "order"),
        };
      }
      default:
        throw invalid(`unknown node kind ${quote(kind)}`);
    }
  };

  const checked = visit(filter, 0, false);
  return markChecked(checked, { depth: deepest, nodes, wildcards, source: target });
}
