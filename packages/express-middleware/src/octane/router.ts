/**
 * The ALM Octane session API (seed 004) as an Express router over one ledger and task runner:
 * list, groups, CSV and XLSX exports, terminate as a background task, and task polling.
 */
import {
  type Filter,
  type Projection,
  parseFields,
  parseGroupBy,
  parseOrderBy,
  parseQuery,
  resolveLimits,
  type SessionLedger,
  type TaskRunner,
  ValidationError,
} from "@session-ledger/core";
import type { Request, Router } from "express";
import { type AdminErrorLogger, createAdminContext } from "../admin/context.js";
import { sendCsv, sendXlsx } from "../admin/exports.js";
import { integerParam, offsetParam, optionalParam, readJsonBody } from "../admin/params.js";
import type { Authenticate } from "../admin/principal.js";
import { quote, requireId } from "../admin/text.js";
import { parseTimeZone, UTC } from "../admin/timezone.js";
import { isWithinCreationRange } from "./creation-range.js";
import { octaneErrorBody } from "./errors.js";
import {
  DEFAULT_PROJECTION,
  exportColumns,
  groupEntry,
  type OctaneMappingOptions,
  sessionEntity,
  TASK_FIELDS,
  type TaskField,
  taskEntity,
} from "./mapping.js";
import { idsFromBody, idsFromFilter, taskIdsFromQuery } from "./terminate.js";

/** Options of {@link createOctaneRouter}. */
export interface OctaneRouterOptions {
  ledger: SessionLedger;
  /** Runs terminations in the background; start it (`taskRunner.start()`) in the host. */
  taskRunner: Pick<TaskRunner, "submitTermination" | "getTask">;
  /** Turns a request into a principal, or null (401). See `apiKeyAuthenticator`. */
  authenticate: Authenticate;
  /**
   * Lists, groups and exports must name session ids, ask for open sessions, or keep
   * `creation_time` within this many days; null turns the rule off. @default 30
   */
  requireCreationRangeDays?: number | null;
  /** @default 100 */
  defaultLimit?: number;
  /** The largest `limit` accepted. @default 2000 */
  maxLimit?: number;
  /** The longest `query` accepted on reads, in characters. @default 4096 */
  maxQueryLength?: number;
  /** The most sessions one terminate request may name. @default 100000 */
  maxTerminateIds?: number;
  /** The largest terminate body, in bytes; also bounds a terminate `query`. @default 8 MiB */
  maxBodyBytes?: number;
  /** The entity type of a session's user. @default "workspace_user" */
  userEntityType?: string;
  /** Receives server-side failures with their correlation id. @default console.error */
  onError?: AdminErrorLogger;
}

const BASE = "/api/shared_spaces/:space";
const SPACE = "shared space";

const spaceOf = (req: Request): string =>
  requireId("space", req.params.space, { noun: "a shared space id" });

// The query parameters of each route; any other is a 400 naming it. Exports take (and ignore)
// limit and offset, so that a list's URL works for its export.
const LIST_PARAMS = ["fields", "query", "order_by", "limit", "offset"] as const;
const GROUP_PARAMS = ["group_by", "query", "limit", "offset"] as const;
const EXPORT_PARAMS = [...LIST_PARAMS, "timezone"] as const;

function taskFields(text: string | undefined): readonly TaskField[] {
  if (text === undefined || text.trim() === "") return TASK_FIELDS;
  const fields: TaskField[] = [];
  for (const name of text.split(",").map((part) => part.trim())) {
    const field = TASK_FIELDS.find((known) => known === name);
    if (field === undefined) {
      throw new ValidationError(
        `fields: unknown background task field ${quote(name)}; expected ${TASK_FIELDS.join(", ")}`,
        { target: "fields" },
      );
    }
    if (!fields.includes(field)) fields.push(field);
  }
  return fields;
}

/**
 * The Octane router. Mount it at the application root (or under a prefix):
 *
 * ```ts
 * app.use(createOctaneRouter({ ledger, taskRunner, authenticate: apiKeyAuthenticator({ keys }) }));
 * ```
 *
 * It reads its own request bodies; mount it before an app-wide `express.json()` (or let that
 * parser skip these routes) so a malformed body gets Octane's error body.
 */
export function createOctaneRouter(options: OctaneRouterOptions): Router {
  const { ledger, taskRunner } = options;
  const rangeDays =
    options.requireCreationRangeDays === undefined ? 30 : options.requireCreationRangeDays;
  const defaultLimit = options.defaultLimit ?? 100;
  const maxLimit = options.maxLimit ?? 2000;
  const maxQueryLength = options.maxQueryLength ?? 4096;
  const maxTerminateIds = options.maxTerminateIds ?? 100_000;
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const queryLimits = resolveLimits({ maxLength: maxQueryLength });
  // A terminate query is the URL form of the body's id list, so the body's bounds apply.
  const terminateQueryLimits = resolveLimits({
    maxLength: maxBodyBytes,
    maxNodes: maxTerminateIds + 1,
  });
  const mapping: OctaneMappingOptions = {
    userEntityType: options.userEntityType ?? "workspace_user",
  };
  const context = createAdminContext({
    authenticate: options.authenticate,
    envelope: octaneErrorBody,
    onError: options.onError,
  });

  const readFilter = (params: URLSearchParams): Filter | null => {
    const filter = parseQuery(optionalParam(params, "query") ?? "", { limits: queryLimits });
    if (rangeDays !== null && !isWithinCreationRange(filter, rangeDays, ledger.now())) {
      throw new ValidationError(
        `query must limit creation_time to at most ${rangeDays} days ` +
          `(creation_time>^…^;creation_time<^…^), name session ids (id='…'), or ask for open sessions (end_time=null)`,
        { target: "query", code: "INVALID_QUERY" },
      );
    }
    return filter;
  };
  const readProjection = (params: URLSearchParams): Projection =>
    parseFields(optionalParam(params, "fields") ?? "") ?? DEFAULT_PROJECTION;
  const readSort = (params: URLSearchParams) => {
    const sort = parseOrderBy(optionalParam(params, "order_by") ?? "");
    return sort.length > 0 ? sort : undefined;
  };
  const readTimeZone = (params: URLSearchParams) => {
    const text = optionalParam(params, "timezone");
    return text === undefined ? UTC : parseTimeZone(text);
  };
  // Everything is read and validated before the ledger is asked anything.
  const exportRequest = (params: URLSearchParams, space: string) => {
    const projection = readProjection(params);
    const sort = readSort(params);
    const timeZone = readTimeZone(params);
    const filter = readFilter(params);
    const columns = exportColumns(projection);
    const sessions = ledger.export(space, { filter, sort });
    const rows = (async function* () {
      for await (const session of sessions) yield columns.map((column) => column.cell(session));
    })();
    return { columns, rows, timeZone };
  };

  const read = { anyOf: ["sessions:read"], tenant: spaceOf, tenantNoun: SPACE } as const;
  const exporting = { anyOf: ["sessions:export"], tenant: spaceOf, tenantNoun: SPACE } as const;

  return context.router([
    {
      method: "GET",
      path: `${BASE}/sessions`,
      params: LIST_PARAMS,
      ...read,
      async handler(_req, res, { tenantId, params }) {
        const projection = readProjection(params);
        const sort = readSort(params);
        const limit = integerParam(params, "limit", {
          min: 1,
          max: maxLimit,
          fallback: defaultLimit,
        });
        const offset = offsetParam(params, "offset");
        const filter = readFilter(params);
        const page = await ledger.list(tenantId, { filter, sort, limit, offset, withTotal: true });
        const total = page.total ?? 0;
        res.json({
          total_count: total,
          data: page.items.map((session) => sessionEntity(session, projection, mapping)),
          exceeds_total_count: offset + page.items.length < total,
        });
      },
    },
    {
      method: "GET",
      path: `${BASE}/sessions/groups`,
      params: GROUP_PARAMS,
      ...read,
      async handler(_req, res, { tenantId, params }) {
        const groupBy = optionalParam(params, "group_by");
        if (groupBy === undefined || groupBy.trim() === "") {
          throw new ValidationError("group_by is required, e.g. group_by=license_edition", {
            target: "group_by",
          });
        }
        const field = parseGroupBy(groupBy);
        const limit = integerParam(params, "limit", { min: 1, max: maxLimit, fallback: maxLimit });
        const offset = offsetParam(params, "offset");
        const filter = readFilter(params);
        const result = await ledger.group(tenantId, { field, filter, limit, offset });
        res.json({
          groupsTotalCount: result.totalGroups,
          groups: result.groups.map((group) => groupEntry(group, mapping)),
        });
      },
    },
    {
      method: "GET",
      path: `${BASE}/sessions/csv_exports`,
      params: EXPORT_PARAMS,
      ...exporting,
      async handler(_req, res, { tenantId, params }) {
        await sendCsv(res, { ...exportRequest(params, tenantId), filename: "sessions.csv" });
      },
    },
    {
      method: "GET",
      path: `${BASE}/sessions/exports/file.xlsx`,
      params: EXPORT_PARAMS,
      ...exporting,
      async handler(_req, res, { tenantId, params }) {
        await sendXlsx(res, {
          ...exportRequest(params, tenantId),
          filename: "sessions.xlsx",
          sheetName: "Sessions",
        });
      },
    },
    {
      method: "PUT",
      path: `${BASE}/sessions`,
      params: ["query"],
      anyOf: ["sessions:terminate"],
      tenant: spaceOf,
      tenantNoun: SPACE,
      async handler(req, res, { tenantId, params }) {
        const queryText = optionalParam(params, "query") ?? "";
        const filter = parseQuery(queryText, { limits: terminateQueryLimits });
        const queryIds = filter === null ? null : idsFromFilter(filter);
        const body = await readJsonBody(req, {
          limit: maxBodyBytes,
          // {"data":[{"id":"…","is_closed":true}, …]}: three values an entry, and two around them.
          maxValues: 3 * maxTerminateIds + 2,
        });
        const bodyIds = await idsFromBody(body, queryIds !== null, maxTerminateIds);
        const ids = queryIds ?? bodyIds ?? [];
        if (ids.length > maxTerminateIds) {
          throw new ValidationError(
            `one request may terminate at most ${maxTerminateIds} sessions, got ${ids.length}`,
            { target: "query" },
          );
        }
        const task = await taskRunner.submitTermination(tenantId, ids);
        const poll = `"id=${task.id}"`;
        res
          .status(202)
          .location(
            `${req.baseUrl}/api/shared_spaces/${encodeURIComponent(tenantId)}/background_tasks` +
              `?fields=status,result&query=${encodeURIComponent(poll)}`,
          )
          .json({
            total_count: 1,
            data: [{ type: "background_task", id: task.id, status: task.status }],
            exceeds_total_count: false,
          });
      },
    },
    {
      method: "GET",
      path: `${BASE}/background_tasks`,
      params: ["fields", "query"],
      anyOf: ["sessions:terminate", "sessions:read"],
      tenant: spaceOf,
      tenantNoun: SPACE,
      async handler(_req, res, { tenantId, params }) {
        const fields = taskFields(optionalParam(params, "fields"));
        const query = optionalParam(params, "query");
        if (query === undefined || query.trim() === "") {
          throw new ValidationError(`query is required, e.g. query="id=<task id>"`, {
            target: "query",
          });
        }
        const ids = taskIdsFromQuery(query, (text) => parseQuery(text, { limits: queryLimits }));
        const tasks = await Promise.all(ids.map((id) => taskRunner.getTask(tenantId, id)));
        const found = tasks.filter((task) => task !== null);
        res.json({
          total_count: found.length,
          data: found.map((task) => taskEntity(task, fields)),
          exceeds_total_count: false,
        });
      },
    },
  ]);
}
