export { StorageTimeoutError } from "./driver-errors.js";
export type { EnsureIndexesOptions } from "./indexes.js";
export {
  createMongoStore,
  type MongoSessionStore,
  type MongoStoreOptions,
} from "./mongo-store.js";
export type { TimeBudgets } from "./store-context.js";
