export {
  createPostgresStore,
  type PostgresSessionStore,
  type PostgresStoreOptions,
} from "./postgres-store.js";
