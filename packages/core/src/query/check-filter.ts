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

  const value = (def: FieldDef, v: FilterValue, use: "equality" | "order"): void => {
    const where = `value for '${def.name}'`;
    if (v === null || typeof v !== "object") throw invalid(`${where} must be a filter value`);
    switch (v.kind) {
      case "null":
        if (use !== "equality") throw invalid(`${where}: null only compares with EQ or IN`);
        return;
      case "time":
        if (def.type !== "time" || typeof v.value !== "number" || !Number.isFinite(v.value)) {
          throw invalid(`${where} must be ${def.type === "time" ? "a finite time" : "text"}`);
        }
        return;
      case "pattern":
        if (use !== "equality" || (def.type !== "text" && def.type !== "ip")) {
          throw invalid(`${where}: wildcards only match text and IP fields with EQ or IN`);
        }
        if (
          !Array.isArray(v.parts) ||
          v.parts.length < 2 ||
          !v.parts.every((p) => typeof p === "string")
        ) {
          throw invalid(`${where}: a pattern has two or more text parts`);
        }
        wildcards += wildcardsOf(v);
        if (wildcards > limits.maxWildcards) throw invalid(tooManyWildcards(limits));
        return;
      case "text":
        if (typeof v.value !== "string" || def.type === "time" || def.type === "reference") {
          throw invalid(`${where} must be ${def.type === "time" ? "a time" : "text"}`);
        }
        if (def.type === "enum" && !def.enumValues?.includes(v.value)) {
          throw invalid(`${where} must be one of ${def.enumValues?.join(", ")}`);
        }
        if (def.type === "ip" && normalizeIp(v.value) !== v.value) {
          throw invalid(`${where} must be a normalised IP address`);
        }
        return;
      default:
        throw invalid(`${where} has an unknown kind`);
    }
  };

  const visit = (node: Filter, depth: number, inUser: boolean): void => {
    if (++nodes > limits.maxNodes) throw invalid(`more than ${limits.maxNodes} conditions`);
    if (depth > limits.maxDepth)
      throw invalid(`nested deeper than the limit of ${limits.maxDepth}`);
    deepest = Math.max(deepest, depth);
    if (node === null || typeof node !== "object") throw invalid("every node must be an object");
    switch (node.kind) {
      case "and":
      case "or":
        if (!Array.isArray(node.items) || node.items.length === 0) {
          throw invalid(`'${node.kind}' needs at least one item`);
        }
        for (const item of node.items) visit(item, depth + 1, inUser);
        return;
      case "not":
        visit(node.item, depth + 1, inUser);
        return;
      case "user":
        if (inUser) throw invalid("user filters do not nest");
        visit(node.filter, depth + 1, true);
        return;
      case "compare": {
        const def = field(node.field, inUser);
        if (!COMPARE_OPS.includes(node.op)) throw invalid(`unknown operator ${quote(node.op)}`);
        if (def.type === "reference" && node.value?.kind !== "null") {
          throw invalid(
            "'user' is compared only with null; filter its fields inside a user filter",
          );
        }
        if (node.op !== "EQ" && def.type === "enum")
          throw invalid(`'${def.name}' takes only EQ and IN`);
        value(def, node.value, node.op === "EQ" ? "equality" : "order");
        return;
      }
      case "in": {
        const def = field(node.field, inUser);
        if (def.type === "reference" || !Array.isArray(node.values) || node.values.length === 0) {
          throw invalid(`IN on '${def.name}' needs one or more values`);
        }
        for (const v of node.values) value(def, v, "equality");
        return;
      }
      case "between": {
        const def = field(node.field, inUser);
        if (def.type === "text" || def.type === "enum" || def.type === "reference") {
          throw invalid(`BTW is not allowed on ${def.type} field '${def.name}'`);
        }
        value(def, node.low, "order");
        value(def, node.high, "order");
        return;
      }
      default:
        throw invalid(`unknown node kind ${quote((node as { kind?: unknown }).kind)}`);
    }
  };

  visit(filter, 0, false);
  return markChecked(filter, { depth: deepest, nodes, wildcards, source: target });
}
