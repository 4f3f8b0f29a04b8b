/**
 * The ALM Octane session API (seed 004) as an Express router over one ledger and task runner:
 * list, groups, CSV and XLSX exports, terminate as a background task, and task polling.
 */
import { type TaskRunner, ValidationError } from "@session-ledger/core";
import { kindOf } from "@session-ledger/core/store";
import { createAdminContext, type DialectHandler, type RouteHandler } from "../admin/context.js";
import { requireRequestHeader } from "../admin/csrf.js";
import { csvResponse, xlsxResponse } from "../admin/exports.js";
import type { OctaneLimits } from "../admin/limits.js";
import { type AdminRouterOptions, checkRouterOptions } from "../admin/options.js";
import type { Principal } from "../admin/principal.js";
import { jsonResponse } from "../admin/reply.js";
import type { AdminRequest } from "../admin/request.js";
import { quote, requireId } from "../admin/text.js";
import { octaneErrorBody } from "./errors.js";
import {
  EXPORT_PARAMS,
  exportRequest,
  GROUP_PARAMS,
  groupRequest,
  LIST_PARAMS,
  listRequest,
  type OctaneReading,
  TASK_PARAMS,
  TERMINATE_PARAMS,
  taskRequest,
  terminateRequest,
} from "./request.js";
import {
  exportColumns,
  groupEntry,
  type OctaneMappingOptions,
  sessionEntity,
  taskEntity,
  timeBucketEntry,
} from "./response.js";
import { sessionPolicyRoutes } from "./session-policy.js";
import { whoamiRoute } from "./whoami.js";

/**
 * Options of {@link createOctaneRouter}. The tenant resolver gets the `:space` of the path as
 * `fromPath`; by default the space id is the tenant.
 */
export interface OctaneRouterOptions extends AdminRouterOptions<OctaneLimits> {
  /** Runs terminations in the background; start it (`taskRunner.start()`) in the host. */
  taskRunner: Pick<TaskRunner, "submitTermination" | "getTask">;
  /**
   * Lists, groups and exports must name session ids, ask for open sessions, or keep
   * `creation_time` within this many days; null turns the rule off. @default 30
   */
  requireCreationRangeDays?: number | null;
  /** The entity type of a session's user. @default "workspace_user" */
  userEntityType?: string;
  /**
   * Told of every termination submitted, with the `reason` its body gave (the console asks
   * for one), for the host's audit trail. A throw is logged through `onError`; the task runs.
   */
  onTerminate?: (event: OctaneTerminationEvent) => void | Promise<void>;
}

/** A termination submitted through the Octane router. */
export interface OctaneTerminationEvent {
  principal: Principal;
  tenantId: string;
  taskId: string;
  /** How many session ids it names. */
  sessions: number;
  /** The administrator's reason, or null when the request gave none. */
  reason: string | null;
}

/**
 * What the server offers beyond the seed API, as whoami lists it. `time_buckets` follows
 * whether the groups route reads `interval` (`group_by=creation_time&interval=day`).
 */
const FEATURES = [
  "session_policy",
  "terminate_reason",
  ...((GROUP_PARAMS as readonly string[]).includes("interval") ? ["time_buckets"] : []),
];

const BASE = "/api/shared_spaces/:space";

/**
 * Octane's own options, checked where they are given: a task runner that can submit and read
 * tasks (without one every terminate would fail at the request), a creation range of a positive
 * whole number of days or null, an entity type that is a non-empty string.
 * @throws TypeError naming the option and what to pass; ValidationError for the range
 */
function checkOctaneOptions(options: OctaneRouterOptions, FACTORY: string) {
  checkRouterOptions(FACTORY, options, [
    "taskRunner",
    "requireCreationRangeDays",
    "userEntityType",
    "onTerminate",
  ]);
  const {
    taskRunner,
    requireCreationRangeDays: days = 30,
    userEntityType = "workspace_user",
  } = options;
  const runner = taskRunner as Partial<OctaneRouterOptions["taskRunner"]> | undefined;
  if (typeof runner?.submitTermination !== "function" || typeof runner.getTask !== "function") {
    throw new TypeError(
      `${FACTORY}: 'taskRunner' must be a task runner, got ${kindOf(taskRunner)}: terminations run as background tasks; pass createTaskRunner({ ledger, store }) and call its start()`,
    );
  }
  if (days !== null && (typeof days !== "number" || !Number.isInteger(days) || days < 1)) {
    throw new ValidationError(
      `${FACTORY}: requireCreationRangeDays must be a positive whole number of days, or null to turn the rule off, got ${quote(days)}`,
      { target: "requireCreationRangeDays" },
    );
  }
  if (typeof userEntityType !== "string" || userEntityType.length === 0) {
    throw new TypeError(
      `${FACTORY}: 'userEntityType' must be a non-empty string, got ${kindOf(userEntityType)}`,
    );
  }
  return { taskRunner, rangeDays: days, userEntityType };
}

const spaceOf = (req: AdminRequest): string =>
  requireId("space", req.params.space, { noun: "a shared space id" });

/**
 * The Octane routes as one dialect handler; `factory` is the name errors in the options give
 * (`createOctaneHandler`, or the Express adapter's `createOctaneRouter`).
 */
export function octaneDialect(options: OctaneRouterOptions, factory: string): DialectHandler {
  const { taskRunner, rangeDays, userEntityType } = checkOctaneOptions(options, factory);
  const { ledger, limits, routes, log } = createAdminContext(options, "octane", octaneErrorBody);
  const reading: OctaneReading = { limits, rangeDays, now: () => ledger.now() };
  const mapping: OctaneMappingOptions = { userEntityType };
  const space = { pathTenant: spaceOf, tenantNoun: "shared space" } as const;

  /** Streams every match, pulled from the ledger only as fast as the client reads. */
  const sendExport =
    (format: "csv" | "xlsx"): RouteHandler =>
    async (req, { tenantId, params, correlationId }) => {
      const { projection, sort, timeZone, filter } = exportRequest(params, reading);
      const columns = exportColumns(projection);
      const sessions = ledger.export(tenantId, { filter, sort });
      const rows = (async function* () {
        for await (const session of sessions) yield columns.map((column) => column.cell(session));
      })();
      // A failure after the download started cuts it off; only the log hears why.
      const onFailure = (error: unknown) => log(req, correlationId, error);
      if (format === "csv") {
        return csvResponse({ columns, rows, timeZone, filename: "sessions.csv" }, onFailure);
      }
      return xlsxResponse(
        { columns, rows, timeZone, filename: "sessions.xlsx", sheetName: "Sessions" },
        onFailure,
      );
    };

  return routes([
    {
      method: "GET",
      path: `${BASE}/sessions`,
      params: LIST_PARAMS,
      anyOf: ["sessions:read"],
      ...space,
      async handler(_req, { tenantId, params }) {
        const { projection, list } = listRequest(params, reading);
        const page = await ledger.list(tenantId, list);
        const total = page.total ?? 0;
        return jsonResponse({
          total_count: total,
          data: page.items.map((session) => sessionEntity(session, projection, mapping)),
          exceeds_total_count: list.offset + page.items.length < total,
        });
      },
    },
    {
      method: "GET",
      path: `${BASE}/sessions/groups`,
      params: GROUP_PARAMS,
      anyOf: ["sessions:read"],
      ...space,
      async handler(_req, { tenantId, params }) {
        const group = groupRequest(params, reading);
        if (group.by === "time") {
          // One group per bucket, in time order, empty ones too: its start as an ISO instant.
          const result = await ledger.group(tenantId, group.options);
          return jsonResponse({
            groupsTotalCount: result.totalBuckets,
            groups: result.buckets.map(timeBucketEntry),
          });
        }
        const result = await ledger.group(tenantId, group.options);
        return jsonResponse({
          groupsTotalCount: result.totalGroups,
          groups: result.groups.map((group) => groupEntry(group, mapping)),
        });
      },
    },
    {
      method: "GET",
      path: `${BASE}/sessions/csv_exports`,
      params: EXPORT_PARAMS,
      anyOf: ["sessions:export"],
      ...space,
      handler: sendExport("csv"),
    },
    {
      method: "GET",
      path: `${BASE}/sessions/exports/file.xlsx`,
      params: EXPORT_PARAMS,
      anyOf: ["sessions:export"],
      ...space,
      handler: sendExport("xlsx"),
    },
    {
      method: "PUT",
      path: `${BASE}/sessions`,
      params: TERMINATE_PARAMS,
      anyOf: ["sessions:terminate"],
      ...space,
      async handler(req, { principal, tenantId, fromPath, params, correlationId }) {
        requireRequestHeader(req);
        const { ids, reason } = await terminateRequest(req, params, reading);
        const task = await taskRunner.submitTermination(tenantId, ids);
        if (options.onTerminate) {
          const event = { principal, tenantId, taskId: task.id, sessions: ids.length, reason };
          await Promise.resolve()
            .then(() => options.onTerminate?.(event))
            .catch((error: unknown) => log(req, correlationId, error));
        }
        const poll = `"id=${task.id}"`;
        const location =
          `${req.basePath}/api/shared_spaces/${encodeURIComponent(fromPath ?? tenantId)}/background_tasks` +
          `?fields=status,result&query=${encodeURIComponent(poll)}`;
        return jsonResponse(
          {
            total_count: 1,
            data: [{ type: "background_task", id: task.id, status: task.status }],
            exceeds_total_count: false,
            // The seed tells clients to poll with "the background_task_id returned by the Update
            // Sessions API call": the id by that name, beside Octane's usual entity list.
            background_task_id: task.id,
          },
          { status: 202, headers: { Location: location } },
        );
      },
    },
    {
      method: "GET",
      path: `${BASE}/background_tasks`,
      params: TASK_PARAMS,
      anyOf: ["sessions:terminate", "sessions:read"],
      ...space,
      async handler(_req, { tenantId, params }) {
        const { fields, ids } = taskRequest(params, reading);
        // A poll of the status alone never reads a task's ids and outcome.
        const read = { result: fields.includes("result") };
        const tasks = await Promise.all(ids.map((id) => taskRunner.getTask(tenantId, id, read)));
        const found = tasks.filter((task) => task !== null);
        return jsonResponse({
          total_count: found.length,
          data: found.map((task) => taskEntity(task, fields)),
          exceeds_total_count: false,
        });
      },
    },
    ...sessionPolicyRoutes(BASE, space, { ledger, maxBodyBytes: limits.maxBodyBytes }),
    whoamiRoute({
      features: FEATURES,
      limits: {
        max_page_size: limits.maxPageSize,
        max_terminate_ids: limits.maxTerminateIds,
        creation_range_days: reading.rangeDays,
      },
    }),
  ]);
}
