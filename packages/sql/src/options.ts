/** What every SQL store's options share, and their checks. */
import { ValidationError } from "@session-ledger/core";
import type { Kysely } from "kysely";
import type { LedgerTables } from "./tables.js";

export interface SqlStoreOptions<DB = unknown> {
  /**
   * A Kysely instance on the store's database dialect, instead of a connection. Its plugins
   * are not applied to the store's queries (a `CamelCasePlugin` would rename its columns).
   */
  kysely?: Kysely<DB>;
  /**
   * Prepended to every table and index name; letters, digits and `_` only.
   * @default "session_ledger_"
   */
  tablePrefix?: string;
}

/** The store's own view of a host's Kysely: the same connections, without the host's plugins. */
export function ownKysely<DB>(kysely: Kysely<DB>): Kysely<LedgerTables> {
  if (typeof (kysely as { withoutPlugins?: unknown }).withoutPlugins !== "function") {
    throw new ValidationError("kysely must be a Kysely instance", { target: "kysely" });
  }
  // The host's plugins (CamelCasePlugin, say) would rename our columns and result keys.
  return kysely.withoutPlugins() as unknown as Kysely<LedgerTables>;
}

/**
 * Checks a store factory's options: an object with exactly one of the store's own connection
 * option (`client.option`, an object with a `client.method`) or `kysely`. Returns the one given:
 * the connection, or the store's own view of the Kysely instance.
 */
export function requireConnection<C, DB>(
  factory: string,
  options: (SqlStoreOptions<DB> & Record<string, unknown>) | null | undefined,
  client: { option: string; method: string; is: string },
):
  | { connection: C; kysely?: undefined }
  | { connection?: undefined; kysely: Kysely<LedgerTables> } {
  if (options === null || typeof options !== "object") {
    throw new ValidationError(`${factory} needs options`, { target: "options" });
  }
  const connection = options[client.option];
  if ((connection === undefined) === (options.kysely === undefined)) {
    throw new ValidationError(
      `${factory} needs exactly one of \`${client.option}\` or \`kysely\``,
      { target: "options" },
    );
  }
  if (connection === undefined) return { kysely: ownKysely(options.kysely as Kysely<DB>) };
  if (typeof (connection as Record<string, unknown>)[client.method] !== "function") {
    throw new ValidationError(`${client.option} must be ${client.is}`, { target: client.option });
  }
  return { connection: connection as C };
}
