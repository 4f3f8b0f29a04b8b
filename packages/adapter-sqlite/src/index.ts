export {
  createSqliteStore,
  type SqliteCommonOptions,
  type SqliteDatabaseOptions,
  type SqliteKyselyOptions,
  type SqliteSessionStore,
  type SqliteStoreOptions,
} from "./sqlite-store.js";
