/**
 * Which tenant a request acts in. Octane's and Cognite's routes name it in the path (a space,
 * an org); LogScale's, Formal's and SAYMON's do not, since in those products a credential
 * belongs to one organization, so there the request or the credential decides.
 */
import { ValidationError } from "@session-ledger/core";
import { type HeaderSource, headerOf } from "./headers.js";
import type { Principal } from "./principal.js";
import type { AdminRequest } from "./request.js";
import { requireId } from "./text.js";
import { decodeUtf8 } from "./url.js";

/** The header a caller may name its tenant in, when its credential spans several. */
export const TENANT_HEADER = "X-Tenant-Id";

/**
 * Picks the tenant of a request. Runs after authentication; whatever it returns is then
 * checked against the principal's tenants (403 when not allowed), so it may trust the request.
 * @param fromPath the tenant the route's path names, already checked against the dialect's
 *   rules for it (Octane's `:space`, Cognite's `:org`); null in the dialects whose paths name
 *   none (LogScale, Formal, SAYMON)
 */
export type TenantResolver = (
  req: AdminRequest,
  principal: Principal,
  fromPath: string | null,
) => string | Promise<string>;

/**
 * The default resolver: the tenant the path names; else the `X-Tenant-Id` header when sent,
 * else the principal's only tenant. The header's bytes are read as UTF-8 (Node hands them over
 * as latin1), strictly.
 * @throws ValidationError (target `X-Tenant-Id`) when neither names exactly one tenant, or
 *   the header is not a tenant id (1 to 256 characters, no control characters)
 */
export const defaultTenant = (
  req: HeaderSource,
  principal: Principal,
  fromPath: string | null,
): string => {
  if (fromPath !== null) return fromPath;
  const header = headerOf(req, TENANT_HEADER);
  if (header !== null) {
    const text = decodeUtf8(Buffer.from(header, "latin1"), TENANT_HEADER);
    return requireId(TENANT_HEADER, text.trim(), { noun: "a tenant id" });
  }
  if (principal.tenants !== "*" && principal.tenants.length === 1) return principal.tenants[0]!;
  throw new ValidationError(
    `this credential may act in several tenants: name one with the ${TENANT_HEADER} header`,
    { target: TENANT_HEADER },
  );
};
