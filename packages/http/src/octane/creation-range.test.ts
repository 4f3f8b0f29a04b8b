import { parseQuery } from "@session-ledger/core";
import { describe, expect, it } from "vitest";
import { isWithinCreationRange } from "./creation-range.js";

const NOW = Date.parse("2026-02-20T12:00:00Z");
const bounded = (query: string, now = NOW) => isWithinCreationRange(parseQuery(query), 30, now);

describe("the 30-day creation range rule", () => {
  it.each([
    `"(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59.427Z^)"`,
    `"(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59Z^;(user={id=220001}))"`,
    `"creation_time BTW ^2026-01-01^...^2026-01-31^"`,
    `"start_time>=^2026-01-01^;start_time<=^2026-01-31T00:00:00Z^"`,
    // An open upper end runs until now: no session is created in the future.
    `"(creation_time>^2026-01-28T20:59:59.427Z^)"`,
    `"(end_time=null)"`,
    `"status='active';client_type='UI'"`,
    `"id='a'"`,
    `"id IN 'a','b'"`,
    `"(id='a';id='b')"`,
    `"id='a'||(creation_time>^2026-02-01^;creation_time<^2026-02-10^)"`,
    `"(creation_time BTW ^2026-01-01^...^2026-01-10^)||(creation_time BTW ^2026-01-20^...^2026-01-30^)"`,
    `"creation_time=^2026-01-05^"`,
  ])("should accept %s", (query) => {
    expect(bounded(query)).toBe(true);
  });

  it.each([
    `""`,
    `"client_type='UI'"`,
    `"creation_time>^2026-01-01^"`,
    `"creation_time<^2026-02-01^"`,
    `"creation_time BTW ^2025-12-01^...^2026-01-31^"`,
    `"!(creation_time<^2026-02-01^)"`,
    `"id='a'||client_type='UI'"`,
    `"(creation_time BTW ^2025-01-01^...^2025-01-20^)||(creation_time BTW ^2026-01-01^...^2026-01-20^)"`,
    `"!(end_time=null)"`,
    `"id>'a'"`,
    `"last_activity_time>^2026-02-01^"`,
  ])("should reject %s", (query) => {
    expect(bounded(query)).toBe(false);
  });

  it("should measure an open upper end from the clock", () => {
    const query = `"creation_time>^2026-01-01T00:00:00Z^"`;
    expect(bounded(query, Date.parse("2026-01-31T00:00:00Z"))).toBe(true);
    expect(bounded(query, Date.parse("2026-01-31T00:00:01Z"))).toBe(false);
  });
});
