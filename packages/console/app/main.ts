/**
 * The console page: a sessions table over Octane's routes with its filter bar, facet counts,
 * charts, exports and terminations. Plain DOM, no framework; every part of the view is in the
 * URL (view.ts), and what the caller may do comes from whoami.
 */
import { ApiError, createApi, readConfig, type Whoami } from "./api.js";
import { type Bucket, shareBar, timeSeries } from "./chart.js";
import { count, fill, h } from "./dom.js";
import {
  COLUMNS,
  composeQuery,
  FACETS,
  type FacetFilter,
  PAGE_SIZES,
  RANGES,
  type RangeName,
  rangeOf,
  readView,
  type View,
  writeView,
} from "./view.js";

interface Entity {
  type: string;
  id: string;
  [field: string]: unknown;
}
interface ListAnswer {
  total_count: number;
  data: Entity[];
}
interface GroupAnswer {
  groupsTotalCount: number;
  groups: { count: number; value: unknown }[];
}
interface TaskResult {
  total: number;
  processed: number;
  ended: string[];
  already_ended: string[];
  not_found: string[];
  failed: string[];
}
interface TaskAnswer {
  data: { id: string; status: string; result: TaskResult | null }[];
}

const DETAIL_FIELDS =
  "id,session_identifier,user,status,end_reason,client_type,access_type,license_edition,client_ip,server_ip,user_agent,client_info,city,country,creation_time,last_activity_time,expired_at,absolute_expiry_time,end_time";
const TIME_FIELDS = new Set([
  "creation_time",
  "last_activity_time",
  "end_time",
  "expired_at",
  "absolute_expiry_time",
]);
const FACET_TOP = 6;
const POLL_MS = 250;

const config = readConfig();
const api = createApi(config);
const root = document.getElementById("app") as HTMLElement;

let me: Whoami;
let view: View = readView(location.search);
let loading: AbortController | null = null;
const selected = new Set<string>();

const can = (permission: string) => me.permissions.includes(permission);

/** A space id the caller may use: the view's, the configured default, or the first one listed. */
function spaceOf(v: View): string | null {
  if (v.space) return v.space;
  if (config.defaultSpace) return config.defaultSpace;
  return me.tenants === "*" ? null : (me.tenants[0] ?? null);
}
const spacePath = (space: string, rest: string) =>
  `api/shared_spaces/${encodeURIComponent(space)}/${rest}`;

function formatTime(ms: number | null, tz = view.tz): string {
  if (ms === null || !Number.isFinite(ms)) return "—";
  try {
    return new Intl.DateTimeFormat("en-CA", {
      timeZone: tz,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).format(ms);
  } catch {
    return new Date(ms).toISOString();
  }
}
const timeOf = (value: unknown) =>
  typeof value === "string" ? Date.parse(value) : typeof value === "number" ? value : null;

function cellText(field: string, value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (TIME_FIELDS.has(field)) return formatTime(timeOf(value));
  if (field === "user" && typeof value === "object") {
    const user = value as { id: string; name?: string | null; full_name?: string | null };
    return user.full_name ? `${user.full_name} (${user.name ?? user.id})` : (user.name ?? user.id);
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

// ---- the shell ---------------------------------------------------------------------------

const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
const alertBox = h("div", { class: "alert", role: "alert" });
const totalText = h(
  "p",
  { class: "total", "data-testid": "total", "aria-live": "polite" },
  "Loading…",
);
const tableWrap = h("div", { class: "table-wrap" });
const pager = h("nav", { class: "pager", "aria-label": "Pages" });
const facetsBox = h("section", { class: "facets", "aria-label": "Facets" });
const chartBox = h("section", { class: "charts", "aria-label": "Logins over time" });
const chips = h("div", { class: "chips", "aria-label": "Active filters" });
const queryBox = h("textarea", {
  id: "query",
  rows: 2,
  spellcheck: "false",
  autocomplete: "off",
  placeholder: "e.g. client_ip='10.*';user={login='alice*'}",
  "aria-describedby": "query-help query-error",
});
const queryError = h("div", {
  id: "query-error",
  class: "query-error",
  "data-testid": "query-error",
});
const rangeSelect = h("select", { id: "range" });
const fromInput = h("input", { id: "from", type: "datetime-local" });
const toInput = h("input", { id: "to", type: "datetime-local" });
const customRange = h("span", { class: "custom-range" });
const toolbar = h("div", { class: "toolbar" });

function setView(patch: Partial<View>, { push = true, resetPage = true } = {}): void {
  view = { ...view, ...(resetPage && patch.page === undefined ? { page: 1 } : {}), ...patch };
  const search = writeView(view);
  if (push) history.pushState(null, "", search);
  else history.replaceState(null, "", search);
  void load();
}

window.addEventListener("popstate", () => {
  view = readView(location.search);
  void load();
});

function header(): HTMLElement {
  const bar = h("header", { class: "top" }, h("h1", {}, "Sessions"));
  const spaces = me.tenants;
  const current = spaceOf(view) ?? "";
  if (spaces !== "*" && spaces.length > 1) {
    const select = h(
      "select",
      {
        id: "space",
        onchange: (e) => setView({ space: (e.target as HTMLSelectElement).value, facets: [] }),
      },
      ...spaces.map((id) => h("option", { value: id, selected: id === current }, id)),
    );
    bar.append(h("label", { for: "space", class: "space" }, "Space ", select));
  } else if (spaces === "*") {
    const input = h("input", { id: "space", value: current, size: 10, required: true });
    const form = h(
      "form",
      {
        class: "space",
        onsubmit: (e) => {
          e.preventDefault();
          if (input.value.trim()) setView({ space: input.value.trim(), facets: [] });
        },
      },
      h("label", { for: "space" }, "Space "),
      input,
      h("button", { type: "submit" }, "Open"),
    );
    bar.append(form);
  } else {
    bar.append(h("p", { class: "space" }, `Space ${current}`));
  }
  bar.append(h("p", { class: "who" }, `Signed in as ${me.id}`));
  if (can("sessions:settings")) {
    bar.append(
      h("button", { type: "button", onclick: () => void openSettings() }, "Space settings"),
    );
  }
  if (config.auth === "api-key") {
    bar.append(
      h(
        "button",
        {
          type: "button",
          onclick: () => {
            api.setKey(null);
            location.reload();
          },
        },
        "Forget key",
      ),
    );
  }
  return bar;
}

function filterBar(): HTMLElement {
  const labels: Record<RangeName | "custom", string> = {
    "1h": "Last hour",
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    custom: "Custom…",
  };
  fill(
    rangeSelect,
    ...[...Object.keys(RANGES), "custom"].map((key) =>
      h("option", { value: key }, labels[key as RangeName]),
    ),
  );
  rangeSelect.addEventListener("change", () => {
    if (rangeSelect.value === "custom") {
      const { from, to } = rangeOf(view);
      setView({ range: "custom", from, to });
    } else {
      setView({ range: rangeSelect.value as RangeName, from: null, to: null });
    }
  });
  const applyCustom = () => {
    const from = Date.parse(fromInput.value);
    const to = Date.parse(toInput.value);
    if (Number.isFinite(from) && Number.isFinite(to) && from < to)
      setView({ range: "custom", from, to });
  };
  fromInput.addEventListener("change", applyCustom);
  toInput.addEventListener("change", applyCustom);
  fill(
    customRange,
    h("label", { for: "from" }, "From "),
    fromInput,
    h("label", { for: "to" }, " to "),
    toInput,
  );
  const form = h(
    "form",
    {
      class: "filter",
      role: "search",
      "aria-label": "Filter sessions",
      onsubmit: (e) => {
        e.preventDefault();
        setView({ q: queryBox.value });
      },
    },
    h(
      "div",
      { class: "range" },
      h("label", { for: "range" }, "Time range "),
      rangeSelect,
      customRange,
    ),
    h(
      "div",
      { class: "query" },
      h("label", { for: "query" }, "Octane query"),
      queryBox,
      h(
        "p",
        { id: "query-help", class: "help" },
        "Joined to the time range and the facets with AND. Ctrl+Enter applies.",
      ),
      queryError,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit" }, "Apply"),
        h(
          "button",
          {
            type: "button",
            onclick: () => setView({ q: "", facets: [] }),
          },
          "Clear filters",
        ),
      ),
    ),
    chips,
  );
  queryBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  return form;
}

const toLocalInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};

function syncFilterBar(): void {
  rangeSelect.value = view.range;
  customRange.hidden = view.range !== "custom";
  if (view.range === "custom" && view.from !== null && view.to !== null) {
    fromInput.value = toLocalInput(view.from);
    toInput.value = toLocalInput(view.to);
  }
  if (document.activeElement !== queryBox) queryBox.value = view.q;
  queryBox.removeAttribute("aria-invalid");
  fill(queryError);
  fill(
    chips,
    ...view.facets.map((facet) =>
      h(
        "button",
        {
          type: "button",
          class: "chip",
          "aria-label": `Remove filter ${facet.field} = ${facet.value ?? "none"}`,
          onclick: () => setView({ facets: view.facets.filter((f) => f !== facet) }),
        },
        `${facet.field} = ${facet.value ?? "(none)"}`,
        h("span", { "aria-hidden": "true" }, " ×"),
      ),
    ),
  );
}

// ---- loading -------------------------------------------------------------------------------

/** The list request of the view: its path, parameters, and a key to recognise it by. */
function listRequest(space: string, now: number) {
  const params = {
    fields: ["id", ...view.cols.filter((c) => c !== "id")].join(","),
    query: composeQuery(view, { now }).text,
    order_by: view.sort,
    limit: String(view.size),
    offset: String((view.page - 1) * view.size),
  };
  const path = spacePath(space, "sessions");
  return { path, params, key: `${path}?${new URLSearchParams(params)}` };
}

/** The first page, asked for while whoami is under way, when the space is known already. */
let early: { now: number; key: string; answer: Promise<ListAnswer> } | null = null;

async function load(): Promise<void> {
  loading?.abort();
  const controller = new AbortController();
  loading = controller;
  const { signal } = controller;
  selected.clear();
  syncFilterBar();
  fill(alertBox);
  const space = spaceOf(view);
  if (space === null) {
    fill(totalText, "Choose a space to see its sessions.");
    fill(tableWrap);
    return;
  }
  const now = early?.now ?? Date.now();
  const query = composeQuery(view, { now });
  fill(status, "Loading sessions…");
  const request = listRequest(space, now);
  // The first load's list was asked for beside whoami (see start()).
  const answer =
    early !== null && early.key === request.key
      ? early.answer
      : api.get<ListAnswer>(request.path, request.params, signal);
  early = null;
  const list = answer
    .then((answer) => {
      if (signal.aborted) return;
      renderTable(answer);
      renderToolbar(answer.total_count, space);
      fill(status, `${count(answer.total_count)} sessions`);
    })
    .catch((error) => {
      if (signal.aborted) return;
      showError(error, query);
      fill(totalText, "No sessions shown: the request failed.");
      fill(tableWrap);
      fill(pager);
      fill(status);
    });
  const facets = loadFacets(space, now, signal);
  const chart = loadChart(space, now, signal);
  await Promise.all([list, facets, chart]);
}

function showError(error: unknown, query: { rawAt: number | null; rawLength: number }): void {
  if (error instanceof DOMException && error.name === "AbortError") return;
  if (!(error instanceof ApiError)) {
    fill(alertBox, `The request failed: ${String(error)}`);
    return;
  }
  if (error.status === 401) {
    signIn(error.message);
    return;
  }
  const raw = queryBox.value;
  const lead = raw.length - raw.trimStart().length;
  if (
    error.parameter === "query" &&
    error.position !== null &&
    query.rawAt !== null &&
    error.position >= query.rawAt &&
    error.position <= query.rawAt + query.rawLength + 1
  ) {
    const at = Math.min(raw.length, error.position - query.rawAt + lead);
    queryBox.setAttribute("aria-invalid", "true");
    fill(
      queryError,
      // The API's own "at N" counts in the composed query; the box's position is what helps.
      h(
        "p",
        { class: "message" },
        `${error.message.replace(/ at \d+$/, "")} (at character ${at - lead + 1})`,
      ),
      h(
        "pre",
        { class: "where", "data-position": at },
        raw.slice(0, at),
        h("mark", {}, raw.slice(at, at + 1) || " "),
        raw.slice(at + 1),
      ),
    );
    return;
  }
  fill(
    alertBox,
    error.message,
    error.correlationId ? h("small", {}, ` (correlation id ${error.correlationId})`) : null,
  );
}

function renderTable(answer: ListAnswer): void {
  const total = answer.total_count;
  const first = total === 0 ? 0 : (view.page - 1) * view.size + 1;
  const last = (view.page - 1) * view.size + answer.data.length;
  fill(
    totalText,
    total === 0
      ? "No sessions match."
      : `${count(first)}–${count(last)} of ${count(total)} sessions`,
  );
  const writable = can("sessions:terminate");
  const head = h("tr", {});
  if (writable) {
    const all = h("input", {
      type: "checkbox",
      "aria-label": "Select every session on this page",
      onchange: (e) => {
        const on = (e.target as HTMLInputElement).checked;
        for (const box of tableWrap.querySelectorAll<HTMLInputElement>("input[data-id]")) {
          box.checked = on;
          if (on) selected.add(box.dataset.id as string);
          else selected.delete(box.dataset.id as string);
        }
        updateSelection();
      },
    });
    head.append(h("th", { scope: "col" }, all));
  }
  for (const column of view.cols) {
    const direction =
      view.sort === column ? "ascending" : view.sort === `-${column}` ? "descending" : null;
    head.append(
      h(
        "th",
        { scope: "col", "aria-sort": direction ?? "none" },
        h(
          "button",
          { type: "button", class: "sort", "data-column": column, onclick: () => sortBy(column) },
          COLUMNS[column] ?? column,
          h(
            "span",
            { "aria-hidden": "true" },
            direction === "ascending" ? " ▲" : direction === "descending" ? " ▼" : "",
          ),
        ),
      ),
    );
  }
  head.append(h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Details")));
  const body = h("tbody", {});
  for (const entity of answer.data) {
    const row = h("tr", { "data-id": entity.id });
    if (writable) {
      row.append(
        h(
          "td",
          {},
          h("input", {
            type: "checkbox",
            "data-id": entity.id,
            "aria-label": `Select session ${entity.id}`,
            onchange: (e) => {
              if ((e.target as HTMLInputElement).checked) selected.add(entity.id);
              else selected.delete(entity.id);
              updateSelection();
            },
          }),
        ),
      );
    }
    for (const column of view.cols) {
      row.append(
        h(
          "td",
          { "data-column": column },
          cellText(column, column === "id" ? entity.id : entity[column]),
        ),
      );
    }
    const more = h(
      "button",
      { type: "button", "aria-expanded": "false", "aria-label": `Details of session ${entity.id}` },
      "Details",
    );
    more.addEventListener("click", () => void toggleDetails(row, more, entity.id));
    row.append(h("td", {}, more));
    body.append(row);
  }
  fill(
    tableWrap,
    h(
      "table",
      { class: "sessions", "data-testid": "sessions" },
      h("caption", { class: "visually-hidden" }, "Sessions"),
      h("thead", {}, head),
      body,
    ),
  );
  renderPager(total);
}

function sortBy(column: string): void {
  const descFirst =
    column === "creation_time" || column === "last_activity_time" || column === "end_time";
  const sort =
    view.sort === column
      ? `-${column}`
      : view.sort === `-${column}`
        ? column
        : descFirst
          ? `-${column}`
          : column;
  setView({ sort });
}

function renderPager(total: number): void {
  const pages = Math.max(1, Math.ceil(total / view.size));
  const size = h(
    "select",
    {
      id: "page-size",
      onchange: (e) => setView({ size: Number((e.target as HTMLSelectElement).value) }),
    },
    ...PAGE_SIZES.map((n) => h("option", { value: n, selected: n === view.size }, String(n))),
  );
  fill(
    pager,
    h(
      "button",
      { type: "button", disabled: view.page <= 1, onclick: () => setView({ page: view.page - 1 }) },
      "Previous page",
    ),
    h("span", {}, ` Page ${count(view.page)} of ${count(pages)} `),
    h(
      "button",
      {
        type: "button",
        disabled: view.page >= pages,
        onclick: () => setView({ page: view.page + 1 }),
      },
      "Next page",
    ),
    h("label", { for: "page-size" }, " Rows per page "),
    size,
  );
}

async function toggleDetails(
  row: HTMLTableRowElement,
  button: HTMLButtonElement,
  id: string,
): Promise<void> {
  const open = row.nextElementSibling?.classList.contains("details");
  if (open) {
    row.nextElementSibling?.remove();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  const space = spaceOf(view) as string;
  const cell = h("td", { colspan: row.children.length }, "Loading…");
  row.after(h("tr", { class: "details" }, cell));
  button.setAttribute("aria-expanded", "true");
  try {
    const answer = await api.get<ListAnswer>(spacePath(space, "sessions"), {
      fields: DETAIL_FIELDS,
      query: `"id=${literalId(id)}"`,
    });
    const session = answer.data[0];
    if (!session) {
      fill(cell, "This session is gone.");
      return;
    }
    const user = session.user as { id: string; name?: string; full_name?: string; email?: string };
    const info = (session.client_info ?? {}) as { browser?: string; os?: string; device?: string };
    const rows: [string, string][] = [
      ["Session", session.id],
      ["Identifier", cellText("", session.session_identifier)],
      [
        "User",
        `${user.full_name ?? ""} ${user.name ? `(${user.name})` : ""} ${user.email ?? ""} · id ${user.id}`,
      ],
      ["Status", cellText("", session.status)],
      ["End reason", cellText("", session.end_reason)],
      ["Client", `${cellText("", session.client_type)} / ${cellText("", session.access_type)}`],
      ["Client info", `${info.browser ?? "—"} · ${info.os ?? "—"} · ${info.device ?? "—"}`],
      ["User agent", cellText("", session.user_agent)],
      ["Client IP", cellText("", session.client_ip)],
      ["Server IP", cellText("", session.server_ip)],
      ["City", cellText("", session.city)],
      ["Country", cellText("", session.country)],
      ["License edition", cellText("", session.license_edition)],
      ["Started", cellText("creation_time", session.creation_time)],
      ["Last activity", cellText("last_activity_time", session.last_activity_time)],
      ["Expires", cellText("expired_at", session.expired_at)],
      ["Lifetime ends", cellText("absolute_expiry_time", session.absolute_expiry_time)],
      ["Ended", cellText("end_time", session.end_time)],
    ];
    const actions = h(
      "div",
      { class: "actions" },
      h(
        "button",
        { type: "button", onclick: () => setView({ facets: [{ field: "user", value: user.id }] }) },
        `All sessions of ${user.name ?? user.id}`,
      ),
    );
    if (can("sessions:terminate") && session.end_time === null) {
      actions.append(
        h(
          "button",
          { type: "button", class: "danger", onclick: () => void openTerminate({ ids: [id] }) },
          "End this session",
        ),
      );
    }
    fill(
      cell,
      h(
        "dl",
        { class: "detail-list" },
        ...rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
      ),
      actions,
    );
  } catch (error) {
    fill(cell, error instanceof Error ? error.message : String(error));
  }
}

const literalId = (id: string) => `'${id.replace(/[\\'*]/g, (c) => `\\${c}`)}'`;

function updateSelection(): void {
  const button = toolbar.querySelector<HTMLButtonElement>("button[data-action=end-selected]");
  if (button) {
    button.disabled = selected.size === 0;
    button.textContent = `End selected (${selected.size})`;
  }
}

function renderToolbar(total: number, space: string): void {
  const columns = h(
    "details",
    { class: "columns" },
    h("summary", {}, "Columns"),
    h(
      "fieldset",
      {},
      h("legend", {}, "Columns shown"),
      ...Object.entries(COLUMNS).map(([name, label]) =>
        h(
          "label",
          {},
          h("input", {
            type: "checkbox",
            name: "column",
            value: name,
            checked: view.cols.includes(name),
            onchange: (e) => {
              const on = (e.target as HTMLInputElement).checked;
              const cols = on
                ? Object.keys(COLUMNS).filter((c) => c === name || view.cols.includes(c))
                : view.cols.filter((c) => c !== name);
              if (cols.length > 0) setView({ cols }, { resetPage: false });
            },
          }),
          ` ${label}`,
        ),
      ),
    ),
  );
  fill(toolbar, totalText, columns);
  if (can("sessions:export")) toolbar.append(exportControls(space));
  if (can("sessions:terminate")) {
    toolbar.append(
      h(
        "button",
        {
          type: "button",
          class: "danger",
          "data-action": "end-selected",
          disabled: true,
          onclick: () => void openTerminate({ ids: [...selected] }),
        },
        "End selected (0)",
      ),
      h(
        "button",
        {
          type: "button",
          class: "danger",
          "data-action": "end-matching",
          disabled: total === 0,
          onclick: () => void openTerminate({ matching: true }),
        },
        view.facets.some((f) => f.field === "user")
          ? "End all of this user's sessions…"
          : "End all matching…",
      ),
    );
  }
}

function exportControls(space: string): HTMLElement {
  const zones =
    typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  if (!zones.includes(view.tz)) zones.unshift(view.tz);
  if (!zones.includes("UTC")) zones.unshift("UTC");
  const zone = h(
    "select",
    {
      id: "timezone",
      onchange: (e) => setView({ tz: (e.target as HTMLSelectElement).value }, { resetPage: false }),
    },
    ...zones.map((z) => h("option", { value: z, selected: z === view.tz }, z)),
  );
  const download = async (format: "csv" | "xlsx") => {
    fill(status, `Preparing the ${format.toUpperCase()} export…`);
    try {
      const blob = await api.download(
        spacePath(space, format === "csv" ? "sessions/csv_exports" : "sessions/exports/file.xlsx"),
        {
          fields: ["id", ...view.cols.filter((c) => c !== "id")].join(","),
          query: composeQuery(view).text,
          order_by: view.sort,
          timezone: view.tz,
        },
      );
      const link = h("a", { href: URL.createObjectURL(blob), download: `sessions.${format}` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      fill(status, `Exported ${format.toUpperCase()}.`);
    } catch (error) {
      showError(error, { rawAt: null, rawLength: 0 });
      fill(status);
    }
  };
  return h(
    "div",
    { class: "export" },
    h("label", { for: "timezone" }, "Time zone "),
    zone,
    h("button", { type: "button", onclick: () => void download("csv") }, "Export CSV"),
    h("button", { type: "button", onclick: () => void download("xlsx") }, "Export XLSX"),
  );
}

async function loadFacets(space: string, now: number, signal: AbortSignal): Promise<void> {
  const panels = FACETS.map(([field, label]) => {
    const list = h("ul", {}, h("li", {}, "…"));
    const panel = h(
      "section",
      { class: "facet", "aria-labelledby": `facet-${field}` },
      h("h2", { id: `facet-${field}` }, label),
      list,
    );
    return { field, label, list, panel };
  });
  fill(facetsBox, ...panels.map((p) => p.panel));
  await Promise.all(
    panels.map(async ({ field, list }) => {
      try {
        const answer = await api.get<GroupAnswer>(
          spacePath(space, "sessions/groups"),
          {
            group_by: field,
            query: composeQuery(view, { omit: field, now }).text,
            limit: String(FACET_TOP),
          },
          signal,
        );
        if (signal.aborted) return;
        const groups = [...answer.groups].sort((a, b) => b.count - a.count);
        const max = Math.max(0, ...groups.map((g) => g.count));
        const active = view.facets.find((f) => f.field === field);
        fill(
          list,
          ...groups.map((group) => {
            const value = group.value === null ? null : String(group.value);
            const on = active !== undefined && active.value === value;
            return h(
              "li",
              {},
              h(
                "button",
                {
                  type: "button",
                  class: on ? "facet-value on" : "facet-value",
                  "aria-pressed": on ? "true" : "false",
                  "data-field": field,
                  "data-value": value ?? "",
                  "aria-label": `${field} ${value ?? "none"}: ${count(group.count)} sessions${on ? " (filtering)" : ""}`,
                  onclick: () =>
                    setView({
                      facets: on
                        ? view.facets.filter((f) => f.field !== field)
                        : [
                            ...view.facets.filter((f) => f.field !== field),
                            { field, value } satisfies FacetFilter,
                          ],
                    }),
                },
                h("span", { class: "label" }, value ?? "(none)"),
                shareBar(group.count, max),
                h("span", { class: "count" }, count(group.count)),
              ),
            );
          }),
          answer.groupsTotalCount > groups.length
            ? h("li", { class: "more" }, `${count(answer.groupsTotalCount - groups.length)} more`)
            : null,
          groups.length === 0 ? h("li", { class: "more" }, "none") : null,
        );
      } catch (error) {
        if (signal.aborted) return;
        fill(
          list,
          h(
            "li",
            { class: "more" },
            error instanceof ApiError && error.parameter === "query" ? "—" : "unavailable",
          ),
        );
      }
    }),
  );
}

async function loadChart(space: string, now: number, signal: AbortSignal): Promise<void> {
  const { from, to } = rangeOf(view, now);
  const hourly = to - from <= 2 * 86_400_000;
  const label = hourly ? "Logins per hour" : "Logins per day";
  const heading = h("h2", {}, label);
  if (!me.features.includes("time_buckets")) {
    fill(
      chartBox,
      heading,
      h(
        "p",
        { class: "more", "data-testid": "chart-unavailable" },
        "This server cannot count logins over time yet (it needs group_by=creation_time with interval).",
      ),
    );
    return;
  }
  fill(chartBox, heading, h("p", { class: "more" }, "…"));
  try {
    const answer = await api.get<GroupAnswer>(
      spacePath(space, "sessions/groups"),
      {
        group_by: "creation_time",
        interval: hourly ? "hour" : "day",
        timezone: view.tz,
        query: composeQuery(view, { now }).text,
      },
      signal,
    );
    if (signal.aborted) return;
    const buckets: Bucket[] = answer.groups
      .map((g) => ({ start: timeOf(g.value) ?? Number.NaN, count: g.count }))
      .filter((b) => Number.isFinite(b.start));
    const stepMs = hourly ? 3_600_000 : 86_400_000;
    fill(
      chartBox,
      heading,
      timeSeries(buckets, { from, to, stepMs, label, format: (ms) => formatTime(ms) }),
    );
  } catch (error) {
    if (signal.aborted) return;
    fill(
      chartBox,
      heading,
      h(
        "p",
        { class: "more", "data-testid": "chart-unavailable" },
        `Unavailable: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  }
}

// ---- terminate -----------------------------------------------------------------------------

const dialog = h("dialog", { class: "dialog", "aria-labelledby": "dialog-title" });

async function matchingOpenIds(space: string, onPage: (n: number) => void): Promise<string[]> {
  const query = composeQuery(view, { extra: ["end_time=null"] }).text;
  const limit = me.limits.max_page_size;
  const ids = new Set<string>();
  // Pages in id order; nothing is ended until every id is read, so the pages do not shift.
  for (let offset = 0; ; offset += limit) {
    const page = await api.get<ListAnswer>(spacePath(space, "sessions"), {
      fields: "id",
      query,
      order_by: "id",
      limit: String(limit),
      offset: String(offset),
    });
    for (const entity of page.data) ids.add(entity.id);
    onPage(ids.size);
    if (page.data.length < limit || offset + limit >= page.total_count) return [...ids];
  }
}

async function openTerminate(target: { ids: string[] } | { matching: true }): Promise<void> {
  const space = spaceOf(view) as string;
  let expected: number;
  if ("ids" in target) {
    expected = target.ids.length;
  } else {
    const probe = await api.get<ListAnswer>(spacePath(space, "sessions"), {
      fields: "id",
      query: composeQuery(view, { extra: ["end_time=null"] }).text,
      limit: "1",
    });
    expected = probe.total_count;
  }
  const bulk = !("ids" in target) || expected > 1;
  const reason = h("textarea", { id: "end-reason", rows: 2, required: true, maxlength: 500 });
  const confirmInput = h("input", {
    id: "end-confirm",
    inputmode: "numeric",
    autocomplete: "off",
    required: true,
  });
  const submit = h(
    "button",
    { type: "submit", class: "danger", disabled: bulk },
    `End ${count(expected)} session${expected === 1 ? "" : "s"}`,
  );
  const progress = h("progress", {
    max: 100,
    value: 0,
    "aria-label": "Progress of the termination",
  });
  const progressText = h("p", {
    class: "progress-text",
    "data-testid": "progress-text",
    "aria-live": "polite",
  });
  const outcome = h("div", { class: "outcome", "data-testid": "outcome" });
  const cancel = h("button", { type: "button", onclick: () => dialog.close() }, "Cancel");
  confirmInput.addEventListener("input", () => {
    submit.disabled = confirmInput.value.trim() !== String(expected);
  });
  const form = h(
    "form",
    {
      method: "dialog",
      onsubmit: (e) => {
        e.preventDefault();
        if (!reason.value.trim() || (bulk && confirmInput.value.trim() !== String(expected)))
          return;
        submit.disabled = true;
        reason.disabled = true;
        confirmInput.disabled = true;
        void run();
      },
    },
    h(
      "h2",
      { id: "dialog-title" },
      "matching" in target ? "End every open session matching the filter" : "End sessions",
    ),
    h(
      "p",
      {},
      expected === 0
        ? "No open session matches."
        : `${count(expected)} open session${expected === 1 ? "" : "s"} will be ended; their users must sign in again.`,
    ),
    h("label", { for: "end-reason" }, "Reason (sent with the request, for the audit trail)"),
    reason,
    bulk ? h("label", { for: "end-confirm" }, `Type ${expected} to confirm`) : null,
    bulk ? confirmInput : null,
    h("div", { class: "actions" }, submit, cancel),
    progress,
    progressText,
    outcome,
  );
  fill(dialog, form);
  dialog.showModal();
  reason.focus();

  async function run(): Promise<void> {
    try {
      let ids: string[];
      if ("ids" in target) ids = target.ids;
      else {
        fill(progressText, "Reading the matching sessions…");
        ids = await matchingOpenIds(space, (n) =>
          fill(progressText, `Read ${count(n)} of ${count(expected)} sessions…`),
        );
      }
      const chunk = me.limits.max_terminate_ids;
      const totals: TaskResult = {
        total: ids.length,
        processed: 0,
        ended: [],
        already_ended: [],
        not_found: [],
        failed: [],
      };
      for (let start = 0; start < ids.length; start += chunk) {
        const part = ids.slice(start, start + chunk);
        const submitted = await api.put<{ background_task_id: string }>(
          spacePath(space, "sessions"),
          {
            data: part.map((id) => ({ id, is_closed: true })),
            reason: reason.value.trim(),
          },
        );
        const result = await follow(space, submitted.background_task_id, (processed) => {
          const done = totals.processed + processed;
          const percent = ids.length === 0 ? 100 : Math.floor((done / ids.length) * 100);
          progress.value = percent;
          fill(progressText, `${count(done)} of ${count(ids.length)} processed (${percent}%)`);
        });
        totals.processed += result.processed;
        totals.ended.push(...result.ended);
        totals.already_ended.push(...result.already_ended);
        totals.not_found.push(...result.not_found);
        totals.failed.push(...result.failed);
      }
      progress.value = 100;
      fill(progressText, `${count(totals.processed)} of ${count(ids.length)} processed (100%)`);
      fill(
        outcome,
        h(
          "ul",
          {},
          ...(
            [
              ["Ended", totals.ended],
              ["Already ended", totals.already_ended],
              ["Not found", totals.not_found],
              ["Failed", totals.failed],
            ] as const
          ).map(([label, list]) =>
            h(
              "li",
              {},
              h(
                "details",
                {},
                h("summary", {}, `${label}: ${count(list.length)}`),
                h(
                  "p",
                  { class: "ids" },
                  list.slice(0, 1000).join(" ") + (list.length > 1000 ? " …" : ""),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      fill(
        outcome,
        h("p", { role: "alert" }, error instanceof Error ? error.message : String(error)),
      );
    }
    fill(cancel, "Close");
    cancel.focus();
    dialog.addEventListener("close", () => void load(), { once: true });
  }
}

/** Polls a task until it ends; `onProgress` gets the ids processed so far. */
async function follow(
  space: string,
  taskId: string,
  onProgress: (processed: number) => void,
): Promise<TaskResult> {
  for (;;) {
    const answer = await api.get<TaskAnswer>(spacePath(space, "background_tasks"), {
      fields: "status,result",
      query: `"id=${taskId}"`,
    });
    const task = answer.data[0];
    if (!task) throw new Error(`the task ${taskId} is gone`);
    if (task.result) onProgress(task.result.processed);
    if (task.status === "SUCCESS" && task.result) return task.result;
    if (task.status === "FAILED")
      throw new Error("the termination task failed; see the server log");
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// ---- settings ------------------------------------------------------------------------------

interface Policy {
  idle_timeout_ms: number;
  max_lifetime_ms: number;
}

async function openSettings(): Promise<void> {
  const space = spaceOf(view);
  if (space === null) return;
  const policy = await api.get<Policy>(spacePath(space, "session_policy"));
  const idle = h("input", {
    id: "idle",
    type: "number",
    min: 1,
    step: 1,
    required: true,
    value: policy.idle_timeout_ms / 60_000,
  });
  const lifetime = h("input", {
    id: "lifetime",
    type: "number",
    min: 1,
    step: 1,
    required: true,
    value: policy.max_lifetime_ms / 60_000,
  });
  const message = h("p", { role: "status" });
  const form = h(
    "form",
    {
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api.put(spacePath(space, "session_policy"), {
            idle_timeout_ms: Math.round(Number(idle.value) * 60_000),
            max_lifetime_ms: Math.round(Number(lifetime.value) * 60_000),
          });
          fill(message, "Saved. New sessions and the next requests of open ones follow it.");
        } catch (error) {
          fill(message, error instanceof Error ? error.message : String(error));
        }
      },
    },
    h("h2", { id: "dialog-title" }, `Session policy of space ${space}`),
    h("label", { for: "idle" }, "Idle timeout (minutes)"),
    idle,
    h("label", { for: "lifetime" }, "Maximum lifetime (minutes)"),
    lifetime,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, "Save"),
      h("button", { type: "button", onclick: () => dialog.close() }, "Close"),
    ),
    message,
  );
  fill(dialog, form);
  dialog.showModal();
}

// ---- start ---------------------------------------------------------------------------------

function signIn(problem?: string): void {
  if (config.auth === "cookie") {
    fill(
      root,
      h(
        "main",
        { class: "signin" },
        h("h1", {}, "Sessions"),
        h("p", { role: "alert" }, problem ?? "Sign in to the application to use the console."),
      ),
    );
    return;
  }
  api.setKey(null);
  const key = h("input", { id: "api-key", type: "password", autocomplete: "off", required: true });
  fill(
    root,
    h(
      "main",
      { class: "signin" },
      h("h1", {}, "Sessions"),
      h(
        "form",
        {
          onsubmit: (e) => {
            e.preventDefault();
            api.setKey(key.value.trim());
            void start();
          },
        },
        h("label", { for: "api-key" }, "API key"),
        key,
        h("p", { class: "help" }, "Kept in this tab only (sessionStorage), sent as X-API-KEY."),
        problem ? h("p", { role: "alert" }, problem) : null,
        h("button", { type: "submit" }, "Open the console"),
      ),
    ),
  );
  key.focus();
}

async function start(): Promise<void> {
  if (config.auth === "api-key" && !api.key()) {
    signIn();
    return;
  }
  const knownSpace = view.space ?? config.defaultSpace;
  if (knownSpace !== null) {
    const now = Date.now();
    const { key, path, params } = listRequest(knownSpace, now);
    const answer = api.get<ListAnswer>(path, params);
    answer.catch(() => {}); // load() reports its failure; this only keeps it from going unhandled
    early = { now, key, answer };
  }
  try {
    me = await api.get<Whoami>("api/session_ledger/whoami");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401)
      signIn(config.auth === "api-key" ? "That key was not accepted." : undefined);
    else
      fill(
        root,
        h(
          "main",
          {},
          h("p", { role: "alert" }, `The console cannot reach the admin API: ${String(error)}`),
        ),
      );
    return;
  }
  fill(
    root,
    header(),
    h("main", {}, filterBar(), alertBox, facetsBox, chartBox, toolbar, tableWrap, pager, status),
    dialog,
  );
  fill(toolbar, totalText);
  await load();
}

void start();
