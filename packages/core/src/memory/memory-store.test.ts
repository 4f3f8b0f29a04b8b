import { runStoreConformance } from "../testing/index.js";
import { createMemoryStore } from "./memory-store.js";

let store = createMemoryStore();

runStoreConformance({
  name: "memory",
  setup: async () => ({
    get store() {
      return store;
    },
    reset: async () => {
      store = createMemoryStore();
    },
    teardown: async () => {},
    another: () => createMemoryStore(),
  }),
});
