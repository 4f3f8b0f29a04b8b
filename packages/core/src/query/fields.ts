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

export type FieldName =
  | "id"
  | "session_identifier"
  | "client_type"
  | "access_type"
  | "client_ip"
  | "server_ip"
  | "user_agent"
  | "browser"
  | "os"
  | "device"
  | "city"
  | "country"
  | "license_edition"
  | "status"
  | "end_reason"
  | "creation_time"
  | "last_activity_time"
  | "expired_at"
  | "absolute_expiry_time"
  | "end_time"
  | "user"
  | "user.id"
  | "user.login"
  | "user.full_name"
  | "user.email";

export interface FieldDef {
  name: FieldName;
  type: FieldType;
  /** Other names accepted on input; the printer always writes `name`. */
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
}

type Def = Partial<Omit<FieldDef, "name" | "type">>;
const def = (name: FieldName, type: FieldType, more: Def = {}): FieldDef => ({
  name,
  type,
  aliases: [],
  nullable: false,
  sortable: true,
  groupable: false,
  userSubField: false,
  dependsOnNow: false,
  ...more,
});

export const FIELDS: readonly FieldDef[] = [
  def("id", "id"),
  def("session_identifier", "id", { nullable: true, groupable: true }),
  def("client_type", "text", { groupable: true }),
  def("access_type", "text", { groupable: true }),
  def("client_ip", "ip", { nullable: true, groupable: true }),
  def("server_ip", "ip", { nullable: true, groupable: true }),
  def("user_agent", "text", { nullable: true }),
  def("browser", "text", { nullable: true, groupable: true }),
  def("os", "text", { nullable: true, groupable: true }),
  def("device", "text", { nullable: true, groupable: true }),
  def("city", "text", { nullable: true, groupable: true }),
  def("country", "text", { nullable: true, groupable: true }),
  def("license_edition", "text", {
    aliases: ["license_type", "license"],
    nullable: true,
    groupable: true,
  }),
  def("status", "enum", { enumValues: SESSION_STATUSES, groupable: true, dependsOnNow: true }),
  def("end_reason", "enum", {
    enumValues: END_REASONS,
    nullable: true,
    groupable: true,
    dependsOnNow: true,
  }),
  def("creation_time", "time", { aliases: ["start_time"] }),
  def("last_activity_time", "time"),
  def("expired_at", "time"),
  def("absolute_expiry_time", "time"),
  def("end_time", "time", { nullable: true, dependsOnNow: true }),
  def("user", "reference", { groupable: true }),
  def("user.id", "id", { userSubField: true, sortable: false }),
  def("user.login", "text", { userSubField: true, sortable: false }),
  def("user.full_name", "text", { userSubField: true, nullable: true, sortable: false }),
  def("user.email", "text", { userSubField: true, nullable: true, sortable: false }),
];

const BY_NAME = new Map<string, FieldDef>();
for (const field of FIELDS) {
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
  switch (field) {
    case "id":
      return session.id;
    case "session_identifier":
      return session.sessionIdentifier;
    case "client_type":
      return session.clientType;
    case "access_type":
      return session.accessType;
    case "client_ip":
      return session.clientIp;
    case "server_ip":
      return session.serverIp;
    case "user_agent":
      return session.userAgent;
    case "browser":
      return session.clientInfo?.browser ?? null;
    case "os":
      return session.clientInfo?.os ?? null;
    case "device":
      return session.clientInfo?.device ?? null;
    case "city":
      return session.city;
    case "country":
      return session.country;
    case "license_edition":
      return session.licenseEdition;
    case "status":
      return session.status;
    case "end_reason":
      return session.endReason;
    case "creation_time":
      return session.createdAt;
    case "last_activity_time":
      return session.lastActivityAt;
    case "expired_at":
      return session.expiresAt;
    case "absolute_expiry_time":
      return session.absoluteExpiresAt;
    case "end_time":
      return session.endedAt;
    case "user":
    case "user.id":
      return session.user.id;
    case "user.login":
      return session.user.login;
    case "user.full_name":
      return session.user.fullName;
    case "user.email":
      return session.user.email;
  }
}
