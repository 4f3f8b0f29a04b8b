/**
 * Keyset cursors: opaque to clients, tamper-evident (HMAC-SHA256), and bound to the tenant,
 * filter and sort that produced them, so a cursor reused with another query is rejected
 * before any of its values reach a store.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { ValidationError } from "../errors.js";
import type { Filter, KeysetPosition, SortKey, SortValue } from "../query/ast.js";
import { fieldDef } from "../query/fields.js";

const VERSION = 1;
const MAC_BYTES = 16;
const MAX_CURSOR_LENGTH = 4096;

export interface CursorCodec {
  encode(scope: CursorScope, position: KeysetPosition): string;
  /** The position inside a cursor made for this same scope; throws `INVALID_CURSOR` otherwise. */
  decode(scope: CursorScope, cursor: string): KeysetPosition;
}

export interface CursorScope {
  tenantId: string;
  filter: Filter | null;
  sort: readonly SortKey[];
}

export function createCursorCodec(secret: string | Uint8Array): CursorCodec {
  const mac = (data: string) =>
    createHmac("sha256", secret).update(data).digest().subarray(0, MAC_BYTES);
  const fingerprint = (scope: CursorScope) =>
    createHash("sha256")
      .update(JSON.stringify([scope.tenantId, scope.filter, scope.sort]))
      .digest("base64url")
      .slice(0, 22);
  const invalid = (why: string) =>
    new ValidationError(`cursor: ${why}`, { target: "cursor", code: "INVALID_CURSOR" });

  return {
    encode(scope, position) {
      const body = Buffer.from(
        JSON.stringify([VERSION, fingerprint(scope), position.values, position.id]),
      ).toString("base64url");
      return `${body}.${mac(body).toString("base64url")}`;
    },

    decode(scope, cursor) {
      if (typeof cursor !== "string" || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) {
        throw invalid("must be a non-empty string from a previous page");
      }
      const [body, tag, extra] = cursor.split(".");
      if (!body || !tag || extra !== undefined) throw invalid("is malformed");
      const expected = mac(body);
      const presented = Buffer.from(tag, "base64url");
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
        throw invalid("is not valid (altered or from another server)");
      }
      const decoded: unknown = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
      if (!Array.isArray(decoded) || decoded[0] !== VERSION)
        throw invalid("has an unknown version");
      const [, print, values, id] = decoded as [number, unknown, unknown, unknown];
      if (print !== fingerprint(scope)) {
        throw invalid("was made for a different query, sort or tenant");
      }
      // Each value has its key's type in sort space: a time is a number, anything else a
      // string; null sorts lowest. A store receives the position typed, and frozen.
      const typed = (v: unknown, key: SortKey): v is SortValue =>
        v === null ||
        (fieldDef(key.field).type === "time"
          ? typeof v === "number" && Number.isFinite(v)
          : typeof v === "string");
      if (
        !Array.isArray(values) ||
        values.length !== scope.sort.length ||
        !values.every((v, i) => typed(v, scope.sort[i]!)) ||
        typeof id !== "string" ||
        id.length === 0
      ) {
        throw invalid("is malformed");
      }
      return Object.freeze({ values: Object.freeze([...values]), id });
    },
  };
}
