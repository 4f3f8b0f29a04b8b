import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { nanoid } from "nanoid";

/** nanoid(21) id, a dot, then 256 random bits in base64url. */
const TOKEN_PATTERN = /^([A-Za-z0-9_-]{21})\.([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  id: string;
  token: string;
  secretHash: string;
}

export function issueToken(): IssuedToken {
  const id = nanoid();
  const secret = randomBytes(32).toString("base64url");
  return { id, token: `${id}.${secret}`, secretHash: hashSecret(secret) };
}

/** SHA-256 of the secret, hex: the only form of the secret a store ever sees. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Splits a token into id and secret, or null when it is not one of ours. */
export function parseToken(token: unknown): { id: string; secret: string } | null {
  if (typeof token !== "string") return null;
  const match = TOKEN_PATTERN.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
