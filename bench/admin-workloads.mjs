/**
 * The admin workloads of the host-latency benchmark (issue 11's table, plus the XLSX export):
 * what one iteration of each sends to the host, and how its answer is checked. The admin
 * client (`host-admin.mjs`) runs them; the harness (`host-latency.mjs`) prepares and restores
 * the data of the two that write. An iteration throws when the host's answer is not the
 * route's promised one, so a workload that silently failed is never reported as measured.
 */
import { BENCH_TENANT, SCRATCH } from "./dataset.mjs";
import { send } from "./http-client.mjs";
import { octaneQuery } from "./workload.mjs";

/** The admin's API key on the host (loopback only). */
export const ADMIN_KEY = "bench-admin-key-0123456789";
/** The admin's tenants: the benchmark tenant, and the one whose 100,000 sessions are ended. */
export const ADMIN_TENANTS = [BENCH_TENANT, SCRATCH.bulk];
/** How long one admin request may go without data before it counts as failed. */
const REQUEST_TIMEOUT_MS = 120_000;
/** How long a terminate task may run before the iteration fails, and how often it is polled. */
export const TASK_TIMEOUT_MS = 600_000;
const POLL_MS = 250;
/** The creation range of the Octane reads, in days: the longest the router accepts. */
export const OCTANE_DAYS = 30;

const SESSIONS = `/api/shared_spaces/${BENCH_TENANT}/sessions`;
const LOGSCALE_SESSIONS = `{ sessions(onlyActiveSessions: false) { totalResults results {
  id clientInfo city country ip user { id username fullName email } createdAt lastActivityAt
  isCurrentSession } } }`;

/** Sends one admin request; resolves with the response when its status is `status`. */
async function call(admin, path, { status = 200, method, headers = {}, body } = {}) {
  const response = await send(`${admin.base}${path}`, {
    agent: admin.agent,
    method,
    headers: { "x-api-key": ADMIN_KEY, ...headers },
    body,
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  if (response.status !== status) {
    const text = response.error ?? response.body.toString("utf8").slice(0, 300);
    throw new Error(`${method ?? "GET"} ${path.split("?")[0]}: ${response.status} ${text}`);
  }
  return response;
}

const json = (response) => JSON.parse(response.body.toString("utf8"));

function expect(condition, what) {
  if (!condition) throw new Error(`unexpected answer: ${what}`);
}

async function list(admin) {
  const page = json(await call(admin, `${SESSIONS}?query=${octaneQuery(OCTANE_DAYS)}&limit=100`));
  const full = Math.min(100, page.total_count);
  expect(Number.isInteger(page.total_count) && page.data?.length === full, "a page + total_count");
}

async function groupsByUser(admin) {
  const path = `${SESSIONS}/groups?group_by=user&query=${octaneQuery(OCTANE_DAYS)}`;
  const result = json(await call(admin, path));
  expect(Number.isInteger(result.groupsTotalCount) && result.groups?.length > 0, "user groups");
}

async function logScaleSessions(admin) {
  const response = await call(admin, "/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", "x-tenant-id": BENCH_TENANT },
    body: JSON.stringify({ query: LOGSCALE_SESSIONS }),
  });
  const { data, errors } = json(response);
  const page = data?.sessions;
  expect(
    !errors && page?.results?.length === Math.min(50, page.totalResults),
    "a page of sessions",
  );
}

async function csvExport(admin) {
  const response = await call(admin, `${SESSIONS}/csv_exports?query=${octaneQuery(OCTANE_DAYS)}`);
  // A header line, then one line per session (no cell holds a line break).
  const rows = response.body.toString("utf8").trimEnd().split("\n").length - 1;
  expect(rows === admin.params.rows, `${rows} CSV rows, not ${admin.params.rows}`);
}

async function xlsxExport(admin) {
  const response = await call(
    admin,
    `${SESSIONS}/exports/file.xlsx?query=${octaneQuery(OCTANE_DAYS)}`,
  );
  // An XLSX file is a ZIP archive.
  expect(response.body.subarray(0, 2).toString("latin1") === "PK", "an XLSX file");
}

/** One PUT naming the ids in its body, then the task polled until it has run. */
async function terminate(admin) {
  const space = `/api/shared_spaces/${SCRATCH.bulk}`;
  const submitted = json(
    await call(admin, `${space}/sessions`, {
      status: 202,
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: admin.params.terminateBody,
    }),
  );
  const taskId = submitted.data?.[0]?.id;
  expect(typeof taskId === "string", "a background task");
  const poll = `${space}/background_tasks?fields=status&query=${encodeURIComponent(`"id=${taskId}"`)}`;
  const deadline = Date.now() + TASK_TIMEOUT_MS;
  for (;;) {
    const status = json(await call(admin, poll)).data?.[0]?.status;
    if (status === "SUCCESS") return;
    expect(status === "QUEUED" || status === "RUNNING", `task status ${status}`);
    if (Date.now() > deadline) throw new Error(`the task ran longer than ${TASK_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The bench app's admin-only route that runs `ledger.expireDue()` in the host. */
async function sweep(admin) {
  const { expired } = json(await call(admin, "/bench/sweep", { method: "POST" }));
  expect(
    expired === admin.params.lapsed,
    `${expired} sessions expired, not ${admin.params.lapsed}`,
  );
}

/**
 * In the order they run; `idle` runs first, as every budget is relative to it. `writes` marks
 * the workloads whose iterations the harness undoes before the next one.
 */
export const ADMIN_WORKLOADS = [
  { key: "idle", label: "idle (no admin load)" },
  { key: "list", label: "Octane list, 30 days, page of 100 + total_count", run: list },
  { key: "groups_user", label: "Octane groups?group_by=user, 30 days", run: groupsByUser },
  {
    key: "logscale",
    label: "LogScale sessions(onlyActiveSessions:false), tenant-wide",
    run: logScaleSessions,
  },
  { key: "csv", label: "Octane CSV export, 30 days", run: csvExport },
  { key: "xlsx", label: "Octane XLSX export, 30 days", run: xlsxExport },
  {
    key: "terminate",
    label: "Octane terminate task, 100,000 ids in one PUT",
    run: terminate,
    writes: true,
  },
  { key: "sweep", label: "first sweep after a pause", run: sweep, writes: true },
];
