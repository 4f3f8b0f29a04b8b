/**
 * The field catalog: every name a query, `order_by`, `fields` or `group_by` may use, its
 * type, and what it allows. Stores map these names to their columns and may use no others.
 */
import { END_REASONS, SESSION_STATUSES, type Session } from "../model/session.js";

/**
 * - `id`: exact, case-sensitive text (session ids, user ids, correlation ids); no wildcards.
 * - `text`: compared and sorted ASCII case-insensitively; `*` wildcards with `EQ`/`IN`.
 * - `enum`: one of a closed set, matched case-insensitively, stored canonical; `EQ`/`IN` only.
 * - `ip`: an IP address, normalised; ordered numerically through `ipSortKey`; wildcards match its text.
 * - `time`: epoch ms; query values are ISO 8601 date-times or epoch ms numbers.
 * - `reference`: the user, filtered only with a `{…}` cross-filter over `user.*` fields.
 */
export type FieldType = "id" | "text" | "enum" | "ip" | "time" | "reference";

/** A field as the catalog defines it. */
export interface FieldDef<Name extends string = FieldName> {
  /** The query name (Octane's), which the printer always writes. */
  name: Name;
  type: FieldType;
  /** Other names accepted on input (`license_type` for `license_edition`). */
  aliases: readonly string[];
  nullable: boolean;
  /** Allowed in `order_by`. */
  sortable: boolean;
  /** Allowed in `group_by`. */
  groupable: boolean;
  /** Only inside a `user={…}` cross-filter. */
  userSubField: boolean;
  /** True where a read at `now` may change the value of a stored open row that has lapsed. */
  dependsOnNow: boolean;
  enumValues?: readonly string[];
  /**
   * The field's value in an effective (already `now`-resolved) session: what filters compare,
   * groups count and sorts order (through `sortValueOf`). `user` reads the user id.
   */
  read(session: Session): string | number | null;
}

type FieldSpec = Pick<FieldDef<string>, "type" | "read"> &
  Partial<Omit<FieldDef<string>, "name" | "type" | "read">>;

/** One catalog entry: the defaults are a required, sortable, ungroupable session field. */
function defineField<const Name extends string>(name: Name, spec: FieldSpec): FieldDef<Name> {
  return {
    name,
    aliases: [],
    nullable: false,
    sortable: true,
    groupable: false,
    userSubField: false,
    dependsOnNow: false,
    ...spec,
  };
}

/**
 * Every field, defined once. `FieldName` is derived from this table, and every store maps it
 * with `satisfies Record<FieldName, …>`: a field added here is a compile error in each store
 * until the store maps it.
 */
export const FIELDS = [
  defineField("id", { type: "id", read: (s) => s.id }),
  defineField("session_identifier", {
    type: "id",
    nullable: true,
    groupable: true,
    read: (s) => s.sessionIdentifier,
  }),
  defineField("client_type", { type: "text", groupable: true, read: (s) => s.clientType }),
  defineField("access_type", { type: "text", groupable: true, read: (s) => s.accessType }),
  defineField("client_ip", {
    type: "ip",
    nullable: true,
    groupable: true,
    read: (s) => s.clientIp,
  }),
  defineField("server_ip", {
    type: "ip",
    nullable: true,
    groupable: true,
    read: (s) => s.serverIp,
  }),
  defineField("user_agent", { type: "text", nullable: true, read: (s) => s.userAgent }),
  defineField("browser", {
    type: "text",
    nullable: true,
    groupable: true,
    read: (s) => s.clientInfo?.browser ?? null,
  }),
  defineField("os", {
    type: "text",
    nullable: true,
    groupable: true,
    read: (s) => s.clientInfo?.os ?? null,
  }),
  defineField("device", {
    type: "text",
    nullable: true,
    groupable: true,
    read: (s) => s.clientInfo?.device ?? null,
  }),
  defineField("city", { type: "text", nullable: true, groupable: true, read: (s) => s.city }),
  defineField("country", {
    type: "text",
    nullable: true,
    groupable: true,
    read: (s) => s.country,
  }),
  defineField("license_edition", {
    type: "text",
    aliases: ["license_type", "license"],
    nullable: true,
    groupable: true,
    read: (s) => s.licenseEdition,
  }),
  defineField("status", {
    type: "enum",
    enumValues: SESSION_STATUSES,
    groupable: true,
    dependsOnNow: true,
    read: (s) => s.status,
  }),
  defineField("end_reason", {
    type: "enum",
    enumValues: END_REASONS,
    nullable: true,
    groupable: true,
    dependsOnNow: true,
    read: (s) => s.endReason,
  }),
  defineField("creation_time", {
    type: "time",
    aliases: ["start_time"],
    read: (s) => s.createdAt,
  }),
  defineField("last_activity_time", { type: "time", read: (s) => s.lastActivityAt }),
  defineField("expired_at", { type: "time", read: (s) => s.expiresAt }),
  defineField("absolute_expiry_time", { type: "time", read: (s) => s.absoluteExpiresAt }),
  defineField("end_time", {
    type: "time",
    nullable: true,
    dependsOnNow: true,
    read: (s) => s.endedAt,
  }),
  defineField("user", { type: "reference", groupable: true, read: (s) => s.user.id }),
  defineField("user.id", {
    type: "id",
    userSubField: true,
    sortable: false,
    read: (s) => s.user.id,
  }),
  defineField("user.login", {
    type: "text",
    userSubField: true,
    sortable: false,
    read: (s) => s.user.login,
  }),
  defineField("user.full_name", {
    type: "text",
    userSubField: true,
    nullable: true,
    sortable: false,
    read: (s) => s.user.fullName,
  }),
  defineField("user.email", {
    type: "text",
    userSubField: true,
    nullable: true,
    sortable: false,
    read: (s) => s.user.email,
  }),
] as const;

/** Every field's query name. */
export type FieldName = (typeof FIELDS)[number]["name"];

const BY_NAME = new Map<string, FieldDef>();
for (const field of FIELDS as readonly FieldDef[]) {
  BY_NAME.set(field.name, field);
  for (const alias of field.aliases) BY_NAME.set(alias, field);
}

/** The field a name or alias denotes (case-sensitive, as Octane names are). */
export function lookupField(name: string): FieldDef | undefined {
  return BY_NAME.get(name);
}

export function fieldDef(name: FieldName): FieldDef {
  return BY_NAME.get(name)!;
}

/** The raw value a field holds in a session, before any `now`-dependent effect. */
export function rawFieldValue(session: Session, field: FieldName): string | number | null {
  return fieldDef(field).read(session);
}
