export type { ClockReading, MongoStoreWarning } from "./clock-check.js";
export { StorageTimeoutError } from "./driver-errors.js";
export type { EnsureIndexesOptions } from "./indexes.js";
export {
  createMongoStore,
  type MigrateMongoStoreOptions,
  type MongoSessionStore,
  type MongoStoreOptions,
  migrateMongoStore,
} from "./mongo-store.js";
export type { TimeBudgets } from "./store-context.js";
