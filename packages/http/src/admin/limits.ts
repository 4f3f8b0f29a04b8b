/**
 * The bounds of one admin request, in one table: core's query bounds and each dialect's page
 * and body sizes, as its seed API documents them. A host overrides any of them through a
 * router's `limits` option.
 */
import {
  DEFAULT_QUERY_LIMITS,
  type QueryLimits,
  resolveLimits,
  ValidationError,
} from "@session-ledger/core";

/**
 * Bounds of an admin router: core's query bounds (`maxLength`, `maxDepth` and `maxNodes` of a
 * `query`, in the dialects that take one; `maxPageSize`, the largest `limit`), and the page
 * size of a request that names none.
 */
export interface AdminLimits extends QueryLimits {
  /** The page size of a request without a `limit`. */
  defaultPageSize: number;
}

/** The bound of the routers that read request bodies. */
export interface BodyLimits {
  /** The largest request body, in bytes. */
  maxBodyBytes: number;
}

/** Bounds of the Octane router. */
export interface OctaneLimits extends AdminLimits, BodyLimits {
  /** The most sessions one terminate request may name. */
  maxTerminateIds: number;
}

/** Bounds of the Cognite router. */
export type CogniteLimits = AdminLimits & BodyLimits;
/** Bounds of the LogScale router. */
export type LogScaleLimits = AdminLimits & BodyLimits;
/** Bounds of the Formal router. */
export type FormalLimits = AdminLimits & BodyLimits;
/** Bounds of the SAYMON router. */
export type SaymonLimits = AdminLimits;

const KIB = 1024;

/** A dialect's bounds: its own, over core's query bounds. */
const over = <Limits extends AdminLimits>(
  own: Omit<Limits, Exclude<keyof QueryLimits, "maxPageSize">>,
) => ({ ...DEFAULT_QUERY_LIMITS, ...own }) as Limits;

/**
 * Each dialect's defaults. Octane: `limit` 1–2000, default 100; terminates of up to 100,000
 * ids in up to 8 MiB. Cognite: `limit` 1–1000, default 100; ten revoke ids fit 16 KiB with
 * room to spare. LogScale: `limit` default 50 (LogScale's); it documents no maximum, 1000
 * bounds a page's cost. Formal: `limit` up to 100,000 (Formal's bound, also the ledger's),
 * default 100. SAYMON: `limit` 1–10,000, default 100.
 */
export const DIALECT_LIMITS = {
  octane: over<OctaneLimits>({
    defaultPageSize: 100,
    maxPageSize: 2000,
    maxBodyBytes: 8 * KIB * KIB,
    maxTerminateIds: 100_000,
  }),
  cognite: over<CogniteLimits>({ defaultPageSize: 100, maxPageSize: 1000, maxBodyBytes: 16 * KIB }),
  logscale: over<LogScaleLimits>({
    defaultPageSize: 50,
    maxPageSize: 1000,
    maxBodyBytes: 64 * KIB,
  }),
  formal: over<FormalLimits>({
    defaultPageSize: 100,
    maxPageSize: 100_000,
    maxBodyBytes: 64 * KIB,
  }),
  saymon: over<SaymonLimits>({ defaultPageSize: 100, maxPageSize: 10_000 }),
} as const;

/** The dialects, by their row in {@link DIALECT_LIMITS}. */
export type DialectName = keyof typeof DIALECT_LIMITS;
/** Each dialect's bounds. */
export type DialectLimits = { [Name in DialectName]: (typeof DIALECT_LIMITS)[Name] };

/**
 * The bounds of one dialect's requests: the ledger's query limits, narrowed by the dialect's
 * defaults (a page of Octane's holds at most 2,000 sessions even when the ledger allows more),
 * then by the host's overrides. An override may narrow the ledger's bounds, never widen them:
 * a request is held to one set of bounds, not to two configured apart.
 * @param ledgerLimits the ledger's `limits`; the defaults for a ledger that has none
 * @throws ValidationError naming the override that is not a positive integer, that widens the
 *   ledger's bound, or a default page larger than the largest page
 */
export function resolveAdminLimits<Limits extends AdminLimits>(
  defaults: Limits,
  overrides: Partial<Limits> = {},
  ledgerLimits: Readonly<QueryLimits> = DEFAULT_QUERY_LIMITS,
): Limits {
  const merged: Limits = { ...defaults };
  for (const name of Object.keys(DEFAULT_QUERY_LIMITS) as (keyof QueryLimits)[]) {
    const bound = ledgerLimits[name];
    if (typeof bound === "number")
      Object.assign(merged, { [name]: Math.min(bound, defaults[name]) });
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const bound = ledgerLimits[name as keyof QueryLimits];
    if (typeof bound === "number" && typeof value === "number" && value > bound) {
      throw new ValidationError(
        `limits.${name} (${value}) may only narrow the ledger's limits.${name} (${bound}): raise it in createSessionLedger({ limits }) first`,
        { target: `limits.${name}` },
      );
    }
    Object.assign(merged, { [name]: value });
  }
  if (overrides.defaultPageSize === undefined) {
    merged.defaultPageSize = Math.min(merged.defaultPageSize, merged.maxPageSize);
  }
  const limits = resolveLimits(merged) as Limits;
  if (limits.defaultPageSize > limits.maxPageSize) {
    throw new ValidationError(
      `limits.defaultPageSize (${limits.defaultPageSize}) must not exceed limits.maxPageSize (${limits.maxPageSize})`,
      { target: "limits.defaultPageSize" },
    );
  }
  return limits;
}
