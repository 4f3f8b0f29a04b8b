/**
 * `@session-ledger/console`: the admin console page, prebuilt, and the Web-standard handler
 * that serves it under any base path.
 */
export {
  type ConsoleAuth,
  type ConsoleHandler,
  type ConsoleHandlerOptions,
  createConsoleHandler,
  DEFAULT_CSP,
} from "./handler.js";
