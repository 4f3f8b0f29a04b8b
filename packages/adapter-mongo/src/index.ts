export type { EnsureIndexesOptions } from "./indexes.js";
export {
  createMongoStore,
  type MongoSessionStore,
  type MongoStoreOptions,
} from "./mongo-store.js";
