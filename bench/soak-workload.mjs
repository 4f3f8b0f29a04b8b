/**
 * What the soak's load sends to a host, and at what pace: the user traffic (the measured
 * `GET /me` of one long-lived user, logins whose sessions touch and then log out, are ended by
 * an admin task or lapse), the admin traffic (Octane list pages with their total, groups, CSV
 * exports, terminate tasks) and the sweep. Every call checks the host's answer and throws when
 * it is not the route's promised one, so an error is never counted as served.
 */
import { send } from "./http-client.mjs";

export const SOAK_TENANT = "soak";
/** The admin's API key on the host (loopback only). */
export const SOAK_ADMIN_KEY = "soak-admin-key-0123456789";
/**
 * The soak tenant's policy: the shortest idle timeout a policy may set, so sessions left alone
 * lapse within the hour and every sweep has work, and a touch written each second of activity.
 */
export const SOAK_POLICY = { idleTimeoutMs: 60_000, touchResolutionMs: 1000 };

/**
 * The pace of each loop, in ms between the starts of two steps (a step that takes longer
 * delays the next: each loop has one step in flight). Per host: 20 /me a second, 8 logins a
 * second (each session then touches twice, a second apart), an admin read a second, an export
 * every 10 s, a terminate task every 15 s, a sweep every 10 s.
 */
export const PACE_MS = {
  me: 50,
  login: 125,
  touch: 1000,
  read: 1000,
  export: 10_000,
  terminate: 15_000,
  sweep: 10_000,
};
/** Users the logins are spread over. */
export const USERS = 2000;
/** What becomes of a logged-in session after its touches: cumulative shares. */
export const FATES = [
  ["logout", 0.4],
  ["terminate", 0.7],
  ["lapse", 1],
];
/** The admin reads cover the sessions created in this window before now. */
export const WINDOW_MS = 10 * 60_000;

/** How long a request may go without data before it counts as failed. */
const REQUEST_TIMEOUT_MS = 60_000;
/** How long a terminate task may run before it counts as failed, and how often it is polled. */
const TASK_TIMEOUT_MS = 120_000;
const POLL_MS = 250;

/** A call whose answer was not the route's promised one; `ms` is its time until it failed. */
export class SoakCallError extends Error {
  name = "SoakCallError";
  constructor(message, ms = null) {
    super(message);
    this.ms = ms;
  }
}

async function call(host, path, { status = 200, method, headers = {}, body, admin = true } = {}) {
  const response = await send(`${host.base}${path}`, {
    agent: host.agent,
    method,
    headers: { ...(admin ? { "x-api-key": SOAK_ADMIN_KEY } : {}), ...headers },
    body,
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  if (response.status !== status) {
    const text = response.error ?? response.body.toString("utf8").slice(0, 300);
    throw new SoakCallError(
      `${method ?? "GET"} ${path.split("?")[0]}: ${response.status} ${text}`,
      response.ms,
    );
  }
  return response;
}

const json = (response) => JSON.parse(response.body.toString("utf8"));

function expect(condition, what) {
  if (!condition) throw new SoakCallError(`unexpected answer: ${what}`);
}

const SESSIONS = `/api/shared_spaces/${SOAK_TENANT}/sessions`;

/** The Octane `query` of the admin reads, URL-encoded: sessions created in the last WINDOW_MS. */
function recentQuery(now = Date.now()) {
  const from = new Date(now - WINDOW_MS).toISOString();
  const to = new Date(now + 60_000).toISOString();
  return encodeURIComponent(`"(creation_time>^${from}^;creation_time<^${to}^)"`);
}

/** `GET /me` with a session's token: the session's id, or a thrown error. */
export async function me(host, session) {
  const response = await call(host, "/me", {
    admin: false,
    headers: { authorization: `Bearer ${session.token}` },
  });
  const { id } = json(response);
  if (id !== session.id)
    throw new SoakCallError(`/me answered ${id}, not ${session.id}`, response.ms);
  return response.ms;
}

export async function login(host, userId) {
  const response = await call(host, "/login", {
    method: "POST",
    admin: false,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, userAgent: "soak/1.0" }),
  });
  const session = json(response);
  expect(typeof session.id === "string" && typeof session.token === "string", "a session");
  return session;
}

export async function logout(host, session) {
  const response = await call(host, "/logout", {
    method: "POST",
    admin: false,
    headers: { authorization: `Bearer ${session.token}` },
  });
  expect(json(response).ended === true, "the session ended by its logout");
}

/** A page of 100 with its total, or the groups by user, of the recent sessions. */
export async function adminRead(host, round) {
  if (round % 2 === 0) {
    const page = json(await call(host, `${SESSIONS}?query=${recentQuery()}&limit=100`));
    // The page and its total are two reads (ledger.list with withTotal): logins landing between
    // them make the two differ by a few while the window holds under 100 sessions.
    expect(
      Number.isInteger(page.total_count) &&
        Array.isArray(page.data) &&
        page.data.length <= 100 &&
        (page.total_count < 100 || page.data.length === 100),
      "a page + total_count",
    );
    return "list";
  }
  const groups = json(await call(host, `${SESSIONS}/groups?group_by=user&query=${recentQuery()}`));
  expect(Number.isInteger(groups.groupsTotalCount) && Array.isArray(groups.groups), "groups");
  return "groups";
}

/** A CSV export of the recent sessions: a header line, then at least one session. */
export async function csvExport(host) {
  const response = await call(host, `${SESSIONS}/csv_exports?query=${recentQuery()}`);
  const rows = response.body.toString("utf8").trimEnd().split("\n").length - 1;
  expect(rows > 0, "an export with rows");
  return rows;
}

/** One PUT ending `ids`, then the task polled until it has run. */
export async function terminate(host, ids) {
  const submitted = json(
    await call(host, SESSIONS, {
      status: 202,
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: ids.map((id) => ({ id, is_closed: true })) }),
    }),
  );
  const taskId = submitted.data?.[0]?.id;
  expect(typeof taskId === "string", "a background task");
  const poll = `/api/shared_spaces/${SOAK_TENANT}/background_tasks?fields=status&query=${encodeURIComponent(`"id=${taskId}"`)}`;
  const deadline = Date.now() + TASK_TIMEOUT_MS;
  for (;;) {
    const status = json(await call(host, poll)).data?.[0]?.status;
    if (status === "SUCCESS") return;
    expect(status === "QUEUED" || status === "RUNNING", `task status ${status}`);
    if (Date.now() > deadline) throw new SoakCallError(`task ran over ${TASK_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function sweep(host) {
  const { expired } = json(await call(host, "/bench/sweep", { method: "POST" }));
  expect(Number.isInteger(expired) && expired >= 0, "a count of expired sessions");
  return expired;
}
