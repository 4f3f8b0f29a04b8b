/**
 * `@session-ledger/express`: the Express adapter of `@session-ledger/http` under the name
 * Express hosts installed first. Everything it exports is `@session-ledger/http/express`.
 */
export * from "@session-ledger/http/express";
