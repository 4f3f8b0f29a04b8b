/** Checks on the values a store method receives before they are bound into SQL. */
import { ValidationError } from "@session-ledger/core";
import type { EndChange } from "@session-ledger/core/store";

/** An instant in epoch ms: every `now` decides which rows read as lapsed, so it must be real. */
export function requireInstant(value: unknown, name = "now"): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ValidationError(`${name} must be a finite number of epoch milliseconds`, {
      target: name,
    });
  }
  return value;
}

export function optionalInstant(name: string, value: unknown): number | null {
  return value === undefined ? null : requireInstant(value, name);
}

export function requireCount(name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new ValidationError(`${name} must be an integer of at least ${min}`, { target: name });
  }
  return value;
}

export function requireString(name: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new ValidationError(`${name} must be a string`, { target: name });
  }
  return value;
}

/** The change an end writes, checked before any of it is bound. */
export function requireChange(change: EndChange): EndChange {
  if (change === null || typeof change !== "object") {
    throw new ValidationError("change is required", { target: "change" });
  }
  requireInstant(change.now, "now");
  requireInstant(change.endedAt, "endedAt");
  requireString("status", change.status);
  requireString("endReason", change.endReason);
  return change;
}
