/**
 * Sessions and the organization as LogScale's schema types them: a session's `clientInfo` is
 * one string and its `ip` never null; times are epoch milliseconds (`Long`); the organization
 * carries its session settings in milliseconds.
 */
import type { Session, TenantPolicy } from "@session-ledger/core";

/** LogScale's `clientInfo`: browser, OS and device as parsed, else the raw agent, else "". */
export function clientInfoOf(session: Session): string {
  const info = session.clientInfo;
  const parts = [
    info?.browser,
    info?.os && `on ${info.os}`,
    info?.device && `(${info.device})`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(" ") : (session.userAgent ?? "");
}

/** LogScale's `ip`: "" when unknown. */
export const ipOf = (session: Session): string => session.clientIp ?? "";

/** The `Organization` type: the tenant and its session settings. */
export function organizationOf(tenantId: string, policy: TenantPolicy) {
  return {
    id: tenantId,
    configs: {
      session: {
        maxInactivityPeriod: policy.idleTimeoutMs,
        forceReauthenticationAfter: policy.maxLifetimeMs,
      },
    },
  };
}
