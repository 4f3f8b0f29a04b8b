/**
 * Plan shapes without a server: does the filter and sort the store sent fit one declared index,
 * the way MongoDB's planner needs it to? For an index to serve a query without a collection scan
 * or an in-memory sort:
 *
 * - its partial filter must be implied by the query. The planner implies `$eq`, `$gt`, `$gte`,
 *   `$lt`, `$lte` and `$exists: true` from tighter conditions on the same field, and anything
 *   else (`$type`) only from the very same condition in the query;
 * - its leading keys must be pinned by equality (or `$in`), then at most one key bounded by a
 *   range, and the sort (keys pinned by equality dropped) must be the index's next keys, all in
 *   the index's directions or all reversed ("equality, sort, range": a range on the first sort
 *   key is fine, a range before the sort keys is not);
 * - at least its first key must be bounded, or it is a scan of the whole index;
 * - a sort on fields an `$addFields` computes is always an in-memory sort.
 *
 * A rooted `$or` whose every branch fits the index on its own is served by one index scan per
 * branch merged in index order (the planner's SORT_MERGE), so it fits too.
 */
import type { Document, IndexDescription } from "mongodb";

export type DeclaredIndex = Pick<IndexDescription, "name" | "key" | "partialFilterExpression">;

/** The reads and writes one driver call makes, in the terms the planner sees. */
export interface Access {
  collection: string;
  method: string;
  /** One filter per statement (a bulkWrite holds many). */
  filters: Document[];
  sort?: Record<string, 1 | -1>;
  /** Set when a pipeline sorts on fields an earlier stage computes. */
  computedSort?: boolean;
}

export type Fit = { ok: true; bounds: string[] } | { ok: false; reason: string };

const isPlain = (value: unknown): value is Document =>
  value !== null &&
  typeof value === "object" &&
  !Array.isArray(value) &&
  Object.getPrototypeOf(value) === Object.prototype;

/** The accesses a recorded driver call makes; none for inserts and index management. */
export function accessesOf(collection: string, method: string, args: unknown[]): Access[] {
  const [first, second] = args as [Document, Document | undefined];
  switch (method) {
    case "find":
    case "findOne":
      return [{ collection, method, filters: [first], sort: second?.sort }];
    case "countDocuments":
    case "updateOne":
    case "updateMany":
    case "deleteOne":
    case "deleteMany":
    case "findOneAndUpdate":
    case "replaceOne":
      return [{ collection, method, filters: [first] }];
    case "bulkWrite":
      return [
        {
          collection,
          method,
          filters: (first as unknown as Document[]).map(
            (op) => (op.updateOne ?? op.deleteOne).filter as Document,
          ),
        },
      ];
    case "aggregate":
      return [pipelineAccess(collection, first as unknown as Document[])];
    default:
      return [];
  }
}

function pipelineAccess(collection: string, pipeline: Document[]): Access {
  const access: Access = { collection, method: "aggregate", filters: [{}] };
  let computed = false;
  for (const [i, stage] of pipeline.entries()) {
    if (i === 0 && stage.$match) access.filters = [stage.$match];
    else if (stage.$addFields) computed = true;
    else if (stage.$sort) {
      access.sort = stage.$sort;
      access.computedSort = computed;
      break;
    } else if (stage.$group || stage.$count) break;
  }
  return access;
}

// ---------------------------------------------------------------- the query's conditions

/** The conditions on each field path, as operator documents (`{ $eq: v }` for a bare value). */
interface Conditions {
  byPath: Map<string, Document[]>;
}

/** The filter as a list of one-key documents whose conjunction it is (`$and`s flattened). */
function conjuncts(filter: Document): Document[] {
  return Object.entries(filter).flatMap(([key, value]) =>
    key === "$and" ? (value as Document[]).flatMap(conjuncts) : [{ [key]: value }],
  );
}

function conditionsOf(filter: Document): Conditions {
  // `$or`, `$nor` and `$expr` bound no index key: they filter what the scan reads.
  const conditions: Conditions = { byPath: new Map() };
  for (const conjunct of conjuncts(filter)) {
    const [key, value] = Object.entries(conjunct)[0]!;
    if (!key.startsWith("$")) {
      const ops =
        isPlain(value) && Object.keys(value).every((k) => k.startsWith("$"))
          ? value
          : { $eq: value };
      conditions.byPath.set(key, [...(conditions.byPath.get(key) ?? []), ops]);
    }
  }
  return conditions;
}

const RANGE = ["$gt", "$gte", "$lt", "$lte"];
const has = (conditions: Conditions, path: string, test: (ops: Document) => boolean) =>
  (conditions.byPath.get(path) ?? []).some(test);
const isEquality = (c: Conditions, path: string) => has(c, path, (ops) => "$eq" in ops);
const isPoint = (c: Conditions, path: string) =>
  has(c, path, (ops) => "$eq" in ops || "$in" in ops);
const isMultiPoint = (c: Conditions, path: string) =>
  !isEquality(c, path) && has(c, path, (ops) => "$in" in ops);
const isRange = (c: Conditions, path: string) =>
  has(c, path, (ops) => RANGE.some((op) => op in ops));

// ---------------------------------------------------------------- partial filter implication

function compare(a: unknown, b: unknown): number | null {
  if (typeof a === "number" && typeof b === "number") return Math.sign(a - b);
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  return null;
}

/** Does a query condition `op: value` imply the partial filter's `want: bound`? */
function implies(op: string, value: unknown, want: string, bound: unknown): boolean {
  if (op === want && JSON.stringify(value) === JSON.stringify(bound)) return true;
  if (want === "$exists")
    return bound === true && (RANGE.includes(op) || (op === "$eq" && value !== null));
  if (!RANGE.includes(want)) return false;
  const order = compare(value, bound);
  if (order === null) return false;
  const above = want === "$gt" || want === "$gte";
  const strict = want === "$gt" || want === "$lt";
  if (op === "$eq")
    return above ? order > 0 || (!strict && order === 0) : order < 0 || (!strict && order === 0);
  if (above && (op === "$gt" || op === "$gte"))
    return order > 0 || (order === 0 && (op === "$gt" || !strict));
  if (!above && (op === "$lt" || op === "$lte"))
    return order < 0 || (order === 0 && (op === "$lt" || !strict));
  return false;
}

/** The partial filter's conditions the query does not imply (none: the index may serve it). */
function unimplied(partial: Document, conditions: Conditions): Document[] {
  const missing: Document[] = [];
  for (const [path, wanted] of conditionsOf(partial).byPath) {
    for (const want of wanted) {
      for (const [op, bound] of Object.entries(want)) {
        const held = (conditions.byPath.get(path) ?? []).some((ops) =>
          Object.entries(ops).some(([have, value]) => implies(have, value, op, bound)),
        );
        if (!held) missing.push({ [path]: { [op]: bound } });
      }
    }
  }
  return missing;
}

// ---------------------------------------------------------------- fitting an index

function fitOne(filter: Document, sort: Access["sort"], index: DeclaredIndex): Fit {
  const conditions = conditionsOf(filter);
  if (index.partialFilterExpression) {
    const missing = unimplied(index.partialFilterExpression, conditions);
    if (missing.length > 0) {
      return {
        ok: false,
        reason: `the query does not imply the partial filter ${JSON.stringify(missing)}`,
      };
    }
  }
  const keys = (index.key instanceof Map ? [...index.key] : Object.entries(index.key)).map(
    ([path, direction]) => ({ path, direction }),
  );
  const bounds: string[] = [];
  let at = 0;
  while (at < keys.length && isPoint(conditions, keys[at]!.path)) bounds.push(keys[at++]!.path);
  const sortKeys = Object.entries(sort ?? {}).filter(([path]) => !isEquality(conditions, path));
  if (sortKeys.length > 0) {
    const next = keys.slice(at, at + sortKeys.length);
    const same = sortKeys.every(
      ([path, dir], i) => next[i]?.path === path && next[i]?.direction === dir,
    );
    const reversed = sortKeys.every(
      ([path, dir], i) => next[i]?.path === path && next[i]?.direction === -dir,
    );
    if (!same && !reversed) {
      return {
        ok: false,
        reason: `sort ${JSON.stringify(sort)} is not the index's order after its equality prefix [${bounds.join(", ")}]: an in-memory SORT`,
      };
    }
    if (bounds.some((path) => isMultiPoint(conditions, path))) {
      return { ok: false, reason: "an $in before the sort keys needs an in-memory SORT" };
    }
  }
  if (at < keys.length && isRange(conditions, keys[at]!.path)) bounds.push(keys[at]!.path);
  if (bounds.length === 0) {
    return {
      ok: false,
      reason: `its first key ${keys[0]?.path} is not bounded: a full index scan`,
    };
  }
  return { ok: true, bounds };
}

/** Whether every statement of `access` fits `index`, and which index keys bound its scan. */
export function fitIndex(access: Access, index: DeclaredIndex): Fit {
  if (access.computedSort) {
    return { ok: false, reason: "it sorts on fields an $addFields computes: an in-memory SORT" };
  }
  let bounds: string[] | null = null;
  for (const filter of access.filters) {
    let fit = fitOne(filter, access.sort, index);
    if (!fit.ok) fit = fitBranches(filter, access.sort, index) ?? fit;
    if (!fit.ok) return fit;
    bounds ??= fit.bounds;
  }
  return { ok: true, bounds: bounds ?? [] };
}

/** A rooted `$or` whose branches each fit the index: one scan per branch, merged. */
function fitBranches(filter: Document, sort: Access["sort"], index: DeclaredIndex): Fit | null {
  const all = conjuncts(filter);
  const ors = all.filter((conjunct) => "$or" in conjunct);
  if (ors.length !== 1) return null;
  const rest = all.filter((conjunct) => !("$or" in conjunct));
  let bounds: string[] | null = null;
  for (const branch of ors[0]!.$or as Document[]) {
    const fit = fitOne({ $and: [...rest, branch] }, sort, index);
    if (!fit.ok) return { ok: false, reason: `a branch of its $or: ${fit.reason}` };
    bounds ??= fit.bounds;
  }
  return { ok: true, bounds: bounds ?? [] };
}

/**
 * Whether the index alone answers the statement (`totalDocsExamined` 0): every field its filter
 * names is a key of the index, or a condition the partial filter holds verbatim, and nothing
 * (`$or`, `$expr`, `$nor`) needs the document.
 */
export function coveredBy(access: Access, index: DeclaredIndex): Fit {
  const keys = new Set(index.key instanceof Map ? index.key.keys() : Object.keys(index.key));
  const partial = index.partialFilterExpression
    ? conditionsOf(index.partialFilterExpression)
    : null;
  for (const filter of access.filters) {
    for (const conjunct of conjuncts(filter)) {
      const [path, value] = Object.entries(conjunct)[0]!;
      if (path.startsWith("$")) return { ok: false, reason: `${path} needs the documents` };
      if (keys.has(path)) continue;
      const held = partial?.byPath.get(path) ?? [];
      const wanted = JSON.stringify(isPlain(value) ? value : { $eq: value });
      if (!held.some((ops) => JSON.stringify(ops) === wanted)) {
        return { ok: false, reason: `${path} is neither a key nor the partial filter: a FETCH` };
      }
    }
  }
  return { ok: true, bounds: [] };
}
