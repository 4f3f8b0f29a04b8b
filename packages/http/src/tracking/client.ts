/** What a user agent says about the client: its browser, OS and device. */
import type { ClientInfo } from "@session-ledger/core";
import UAParser from "ua-parser-js";

/**
 * Browser, OS and device type parsed from a user agent by ua-parser-js. Names only, no
 * versions, so sessions group and filter by browser; the full agent is kept beside it.
 * A browser or OS without a device type is a desktop (ua-parser-js leaves desktops untyped).
 */
export function clientInfoOf(userAgent: string | null | undefined): ClientInfo | null {
  if (!userAgent) return null;
  const { browser, os, device } = new UAParser(userAgent).getResult();
  const info: ClientInfo = {
    browser: browser.name ?? null,
    os: os.name ?? null,
    device: device.type ?? (browser.name || os.name ? "desktop" : null),
  };
  return info.browser === null && info.os === null ? null : info;
}
