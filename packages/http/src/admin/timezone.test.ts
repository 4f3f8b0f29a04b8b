import { describe, expect, it } from "vitest";
import { formatInstant, parseTimeZone, wallClockDate } from "./timezone.js";

const AT = Date.parse("2026-02-01T21:30:15.250Z");
const SUMMER = Date.parse("2026-07-01T12:00:00.000Z");

describe("parseTimeZone", () => {
  it.each([
    ["UTC", "UTC", 0],
    ["utc", "UTC", 0],
    ["GMT", "UTC", 0],
    ["UTC+03:00", "UTC+03:00", 180],
    ["UTC 03:00", "UTC+03:00", 180],
    ["UTC+3", "UTC+03:00", 180],
    ["UTC+0300", "UTC+03:00", 180],
    ["UTC-05:30", "UTC-05:30", -330],
    ["UTC+14:00", "UTC+14:00", 840],
    ["UTC+00:00", "UTC", 0],
    ["GMT-1", "UTC-01:00", -60],
  ])("should read %s as %s", (text, label, offset) => {
    const zone = parseTimeZone(text);
    expect(zone.label).toBe(label);
    expect(zone.offsetAt(AT)).toBe(offset);
  });

  it("should follow an IANA zone's daylight saving time", () => {
    const berlin = parseTimeZone("Europe/Berlin");
    expect(berlin.label).toBe("Europe/Berlin");
    expect(berlin.offsetAt(AT)).toBe(60);
    expect(berlin.offsetAt(SUMMER)).toBe(120);
    expect(parseTimeZone("Asia/Kolkata").offsetAt(AT)).toBe(330);
    expect(parseTimeZone("America/St_Johns").offsetAt(AT)).toBe(-210);
  });

  it.each([
    "",
    "UTC+14:30",
    "UTC+15",
    "UTC+03:60",
    "+03:00",
    "Mars/Olympus",
    "UTC++3",
    "local",
    "Europe/../etc",
  ])("should reject %j naming the parameter", (text) => {
    expect(() => parseTimeZone(text)).toThrow(
      expect.objectContaining({ target: "timezone", code: "INVALID_ARGUMENT" }),
    );
  });
});

describe("formatInstant", () => {
  it("should write the local time with its offset, and Z for UTC", () => {
    expect(formatInstant(AT, parseTimeZone("UTC"))).toBe("2026-02-01T21:30:15.250Z");
    expect(formatInstant(AT, parseTimeZone("UTC+03:00"))).toBe("2026-02-02T00:30:15.250+03:00");
    expect(formatInstant(AT, parseTimeZone("UTC-05:30"))).toBe("2026-02-01T16:00:15.250-05:30");
    expect(formatInstant(SUMMER, parseTimeZone("Europe/Berlin"))).toBe(
      "2026-07-01T14:00:00.000+02:00",
    );
    for (const zone of ["UTC+03:00", "UTC-05:30", "Europe/Berlin"]) {
      expect(Date.parse(formatInstant(AT, parseTimeZone(zone)))).toBe(AT);
    }
  });

  it("should give spreadsheets the wall clock as a Date's UTC fields", () => {
    expect(wallClockDate(AT, parseTimeZone("UTC+03:00")).toISOString()).toBe(
      "2026-02-02T00:30:15.250Z",
    );
  });
});
