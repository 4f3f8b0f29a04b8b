/**
 * Sessions, groups and background tasks as Octane entities. Octane always returns an
 * entity's `type` and `id`, then the fields asked for in `fields=`, read through core's field
 * catalog; times are ISO 8601 UTC, references (`user`) are nested entities.
 */
import type {
  ProjectedField,
  Projection,
  Session,
  SessionGroup,
  SessionUser,
  TaskView,
  TerminationResult,
  TimeBucket,
  UserFieldName,
} from "@session-ledger/core";
import { fieldDef } from "@session-ledger/core/store";
import type { ExportCell, ExportColumn } from "../admin/exports.js";

/** A JSON value as Octane writes it. */
export type OctaneValue =
  | string
  | number
  | boolean
  | null
  | readonly OctaneValue[]
  | { readonly [key: string]: OctaneValue };

/** An Octane entity: `type` and `id` first, then the requested fields. */
export interface OctaneEntity {
  type: string;
  id: string;
  [field: string]: OctaneValue;
}

type ScalarField = Exclude<ProjectedField, "user" | "client_info">;

/** The fields listed when a request has no `fields=`: the seed's documented session fields. */
export const DEFAULT_PROJECTION: Projection = {
  fields: [
    "id",
    "session_identifier",
    "client_type",
    "user",
    "client_ip",
    "access_type",
    "creation_time",
    "end_time",
    "license_edition",
  ],
  userFields: null,
};

/**
 * A scalar field's value as the catalog reads it, for a JSON entity: times as ISO 8601 UTC
 * with milliseconds, so a value read back is an exact filter bound.
 */
function scalarValue(field: ScalarField, session: Session): OctaneValue {
  const def = fieldDef(field);
  const value = def.read(session);
  return def.type === "time" ? iso(value as number | null) : value;
}

// Octane's user entity calls the login `name`.
const USER_KEYS: Record<UserFieldName, string> = {
  id: "id",
  login: "name",
  full_name: "full_name",
  email: "email",
};
const USER_READ: Record<UserFieldName, (user: SessionUser) => string | null> = {
  id: (u) => u.id,
  login: (u) => u.login,
  full_name: (u) => u.fullName,
  email: (u) => u.email,
};
/** A bare `user` expands to these, as the seed describes it ("with their full name and email"). */
const DEFAULT_USER_FIELDS: readonly UserFieldName[] = ["id", "login", "full_name", "email"];
const CLIENT_INFO_KEYS = ["browser", "os", "device"] as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Options of the Octane mapping. */
export interface OctaneMappingOptions {
  /** The entity type of a session's user. */
  userEntityType: string;
}

/** The session as an Octane entity with the projection's fields. */
export function sessionEntity(
  session: Session,
  projection: Projection,
  options: OctaneMappingOptions,
): OctaneEntity {
  const entity: OctaneEntity = { type: "session", id: session.id };
  for (const field of projection.fields) {
    if (field === "user") {
      entity.user = userEntity(session.user, projection.userFields, options);
    } else if (field === "client_info") {
      entity.client_info = session.clientInfo && { ...session.clientInfo };
    } else if (field !== "id") {
      entity[field] = scalarValue(field, session);
    }
  }
  return entity;
}

function userEntity(
  user: SessionUser,
  fields: readonly UserFieldName[] | null,
  options: OctaneMappingOptions,
): OctaneEntity {
  const entity: OctaneEntity = { type: options.userEntityType, id: user.id };
  for (const field of fields ?? DEFAULT_USER_FIELDS) {
    if (field !== "id") entity[USER_KEYS[field]] = USER_READ[field](user);
  }
  return entity;
}

/** A creation-time bucket as a group: `{count, value}`, the value its start as an ISO instant. */
export const timeBucketEntry = ({ start, count }: TimeBucket) => ({
  count,
  value: new Date(start).toISOString(),
});

/**
 * A group as Octane writes it, `{count, value}`: the plain value (or null) for scalar
 * fields; for `user`, the user entity with its login (`name`) and full name.
 */
export function groupEntry(
  group: SessionGroup,
  options: OctaneMappingOptions,
): { count: number; value: OctaneValue } {
  if (group.user) {
    return {
      count: group.count,
      value: {
        type: options.userEntityType,
        id: group.user.id,
        name: group.user.login,
        full_name: group.user.fullName,
      },
    };
  }
  return { count: group.count, value: group.value };
}

/** One column of an export, and how a session fills it. */
export interface SessionColumn extends ExportColumn {
  cell(session: Session): ExportCell;
}

/**
 * The export columns for a projection, one per field in the order asked. `user` and
 * `client_info` spread over one column per sub-field (`user.name`, `client_info.os`) so a
 * spreadsheet can sort and filter them; headers are the API's field names.
 */
export function exportColumns(projection: Projection): SessionColumn[] {
  const columns: SessionColumn[] = [];
  for (const field of projection.fields) {
    if (field === "user") {
      for (const sub of projection.userFields ?? DEFAULT_USER_FIELDS) {
        const read = USER_READ[sub];
        columns.push({ header: `user.${USER_KEYS[sub]}`, cell: (s) => read(s.user) });
      }
    } else if (field === "client_info") {
      for (const key of CLIENT_INFO_KEYS) {
        columns.push({ header: `client_info.${key}`, cell: (s) => s.clientInfo?.[key] ?? null });
      }
    } else {
      const def = fieldDef(field);
      columns.push(
        def.type === "time"
          ? {
              header: field,
              kind: "time",
              cell: (s) => {
                const ms = def.read(s) as number | null;
                return ms === null ? null : { epochMs: ms };
              },
            }
          : { header: field, cell: (s) => def.read(s) },
      );
    }
  }
  return columns;
}

/** The fields a background task has; `fields=` picks among them. */
export const TASK_FIELDS = ["status", "result", "creation_time", "last_modified", "error"] as const;
export type TaskField = (typeof TASK_FIELDS)[number];

/**
 * A background task as an Octane entity. A termination's result lists the ids per outcome:
 * `ended` (revoked now), `already_ended`, `not_found` (unknown, or of another space — the two
 * are not told apart, so nothing leaks about other spaces) and `failed`.
 */
export function taskEntity(task: TaskView, fields: readonly TaskField[]): OctaneEntity {
  const entity: OctaneEntity = { type: "background_task", id: task.id };
  for (const field of fields) {
    switch (field) {
      case "status":
        entity.status = task.status;
        break;
      case "result":
        entity.result = taskResult(task.result);
        break;
      case "creation_time":
        entity.creation_time = iso(task.createdAt);
        break;
      case "last_modified":
        entity.last_modified = iso(task.updatedAt);
        break;
      case "error":
        // The runner records the store's failure text; clients get the fact, not the details.
        entity.error = task.error === null ? null : "the task failed; see the server log";
        break;
    }
  }
  return entity;
}

function taskResult(r: TerminationResult | null): OctaneValue {
  if (r === null) return null;
  return {
    total: r.total,
    processed: r.processed,
    ended: r.ended,
    already_ended: r.alreadyEnded,
    not_found: r.notFound,
    failed: r.failed,
  };
}
