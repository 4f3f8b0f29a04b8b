import { ValidationError } from "../errors.js";

/**
 * Every bound on what a query may ask, in one place: the parser, the filter check, the ledger
 * and the routers all read the same object, so a limit is enforced once and its error names
 * the parameter the client sent.
 */
export interface QueryLimits {
  /** The longest `query` text, in UTF-16 code units. @default 4096 */
  maxLength: number;
  /** The deepest nesting of a filter, counting every `(`, `{`, `!` and combination. @default 32 */
  maxDepth: number;
  /** The most nodes (phrases and their combinations) in one filter. @default 2000 */
  maxNodes: number;
  /** The largest page of rows or groups one listing returns. @default 100000 */
  maxPageSize: number;
  /**
   * The most buckets one `group_by=creation_time` may ask for: 30 days of hours, with room for
   * partial buckets at both ends and a longer DST day. @default 1000
   */
  maxTimeBuckets: number;
  /**
   * The most `*` wildcards in one filter, over all its patterns. Each wildcard costs every store
   * a scan step and every dialect's pattern some bytes: MongoDB compiles a pattern with PCRE2,
   * which refuses a source over 32,764 bytes (error 51091), about 1,237 wildcards of the Mongo
   * store's pattern, while the default keeps the largest pattern a 4 KiB query can make under
   * 19 KB. @default 100
   */
  maxWildcards: number;
}

export const DEFAULT_QUERY_LIMITS: Readonly<QueryLimits> = Object.freeze({
  maxLength: 4096,
  maxDepth: 32,
  maxNodes: 2000,
  maxPageSize: 100_000,
  maxTimeBuckets: 1000,
  maxWildcards: 100,
});

/** The defaults with a caller's overrides, each a positive integer. */
export function resolveLimits(overrides: Partial<QueryLimits> = {}): QueryLimits {
  const limits = { ...DEFAULT_QUERY_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ValidationError(`limits.${name} must be a positive integer`, {
        target: `limits.${name}`,
      });
    }
  }
  return limits;
}
