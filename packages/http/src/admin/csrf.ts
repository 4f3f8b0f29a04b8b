/**
 * Cross-site request forgery, for hosts that authenticate the admin routes by cookie. A
 * browser attaches cookies to a forged cross-site form post, but no cross-site page can add a
 * custom header without a CORS preflight the admin routes never grant; so a state-changing
 * request that carries cookies must also carry {@link REQUEST_HEADER}, which the console
 * sends on every call. Requests without cookies (API keys from scripts, curl, the seeds'
 * clients) are not asked for it: nothing attaches an API key header for a forger.
 */

import { AdminError } from "./errors.js";
import type { AdminRequest } from "./request.js";

/** The header a state-changing admin request sent with cookies must carry. */
export const REQUEST_HEADER = "X-Session-Ledger-Request";

/**
 * Throws a 403 when the request carries cookies but not {@link REQUEST_HEADER} (any value;
 * the console sends `console`).
 * @throws AdminError `FORBIDDEN`
 */
export function requireRequestHeader(req: Pick<AdminRequest, "headers">): void {
  if (!req.headers.has("cookie")) return;
  const value = req.headers.get(REQUEST_HEADER);
  if (value !== null && value.trim() !== "") return;
  throw new AdminError(
    "FORBIDDEN",
    `a state-changing request sent with cookies must carry the ${REQUEST_HEADER} header (e.g. ${REQUEST_HEADER}: console), which a cross-site form cannot add`,
    { target: REQUEST_HEADER },
  );
}
