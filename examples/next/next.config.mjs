import { fileURLToPath } from "node:url";

// The workspace root: the example's @session-ledger packages are symlinks into it.
const root = fileURLToPath(new URL("../..", import.meta.url));

/** @type {import("next").NextConfig} */
export default {
  turbopack: { root },
  outputFileTracingRoot: root,
  // The ledger and its task runner live in the server process; nothing of them is bundled twice.
  serverExternalPackages: ["@session-ledger/core", "@session-ledger/fixtures"],
};
