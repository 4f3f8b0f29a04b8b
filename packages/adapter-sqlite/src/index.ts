export {
  createSqliteStore,
  type SqliteSessionStore,
  type SqliteStoreOptions,
} from "./sqlite-store.js";
