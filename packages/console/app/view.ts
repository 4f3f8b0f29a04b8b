/**
 * The view (space, time range, filters, sort, page, columns) and its URL: every part lives in
 * the query string, so a link reproduces the view. Also the Octane query the view stands for.
 */

export const RANGES = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
} as const;
export type RangeName = keyof typeof RANGES;

/** The facets the filter bar counts, in order. */
export const FACETS = [
  ["status", "Status"],
  ["client_type", "Client type"],
  ["access_type", "Access type"],
  ["license_edition", "License edition"],
  ["browser", "Browser"],
  ["os", "OS"],
  ["country", "Country"],
] as const;

/** The columns a table may show: Octane `fields` names and their headings. */
export const COLUMNS: Record<string, string> = {
  id: "Id",
  user: "User",
  status: "Status",
  client_type: "Client type",
  access_type: "Access type",
  license_edition: "License edition",
  client_ip: "Client IP",
  server_ip: "Server IP",
  browser: "Browser",
  os: "OS",
  device: "Device",
  city: "City",
  country: "Country",
  session_identifier: "Session identifier",
  end_reason: "End reason",
  creation_time: "Started",
  last_activity_time: "Last activity",
  end_time: "Ended",
};
export const DEFAULT_COLUMNS = [
  "user",
  "status",
  "client_type",
  "browser",
  "os",
  "country",
  "client_ip",
  "creation_time",
  "end_time",
];
export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_SORT = "-creation_time";

/** One filter the facets (or the user drill-down) set: `field=value`, null for "none". */
export interface FacetFilter {
  field: string;
  value: string | null;
}

export interface View {
  space: string | null;
  /** A preset relative to now, or `custom` with `from` and `to`. */
  range: RangeName | "custom";
  from: number | null;
  to: number | null;
  /** The raw Octane query typed in the query box (without the outer quotes). */
  q: string;
  facets: FacetFilter[];
  sort: string;
  page: number;
  size: number;
  cols: string[];
  tz: string;
}

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function readView(search: string): View {
  const params = new URLSearchParams(search);
  const range = params.get("range");
  const from = Date.parse(params.get("from") ?? "");
  const to = Date.parse(params.get("to") ?? "");
  const custom = range === "custom" && Number.isFinite(from) && Number.isFinite(to);
  const facets: FacetFilter[] = [];
  for (const text of params.getAll("f")) {
    const at = text.indexOf(":");
    if (at <= 0) continue;
    try {
      const value: unknown = JSON.parse(text.slice(at + 1));
      if (value === null || typeof value === "string")
        facets.push({ field: text.slice(0, at), value });
    } catch {
      // A hand-edited link with a malformed filter: the rest of the view still holds.
    }
  }
  const cols = (params.get("cols") ?? "").split(",").filter((c) => Object.hasOwn(COLUMNS, c));
  const size = Number(params.get("size"));
  const page = Number(params.get("page"));
  return {
    space: params.get("space"),
    range: custom
      ? "custom"
      : range !== null && Object.hasOwn(RANGES, range)
        ? (range as RangeName)
        : "24h",
    from: custom ? from : null,
    to: custom ? to : null,
    q: params.get("q") ?? "",
    facets,
    sort: params.get("sort") || DEFAULT_SORT,
    page: Number.isInteger(page) && page > 0 ? page : 1,
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : 50,
    cols: cols.length > 0 ? cols : DEFAULT_COLUMNS,
    tz: params.get("tz") || browserZone(),
  };
}

/** The view as a query string; defaults are left out so links stay short. */
export function writeView(view: View): string {
  const params = new URLSearchParams();
  if (view.space !== null) params.set("space", view.space);
  params.set("range", view.range);
  if (view.range === "custom" && view.from !== null && view.to !== null) {
    params.set("from", new Date(view.from).toISOString());
    params.set("to", new Date(view.to).toISOString());
  }
  if (view.q.trim() !== "") params.set("q", view.q);
  for (const { field, value } of view.facets)
    params.append("f", `${field}:${JSON.stringify(value)}`);
  if (view.sort !== DEFAULT_SORT) params.set("sort", view.sort);
  if (view.page !== 1) params.set("page", String(view.page));
  if (view.size !== 50) params.set("size", String(view.size));
  if (view.cols.join(",") !== DEFAULT_COLUMNS.join(",")) params.set("cols", view.cols.join(","));
  if (view.tz !== browserZone()) params.set("tz", view.tz);
  return `?${params}`;
}

/** The instants the view's range covers, now. */
export function rangeOf(view: View, now = Date.now()): { from: number; to: number } {
  if (view.range === "custom" && view.from !== null && view.to !== null)
    return { from: view.from, to: view.to };
  return { from: now - RANGES[view.range === "custom" ? "24h" : view.range], to: now };
}

/** A string literal of the query language: quoted, with `'`, `\` and the wildcard `*` escaped. */
export const literal = (value: string) => `'${value.replace(/[\\'*]/g, (c) => `\\${c}`)}'`;

const condition = ({ field, value }: FacetFilter): string =>
  field === "user"
    ? `user={id=${literal(value ?? "")}}`
    : value === null
      ? `${field}=null`
      : `${field}=${literal(value)}`;

/** An Octane `query` and where the raw query box's text starts in it. */
export interface ComposedQuery {
  text: string;
  /** Offset of the raw query's first character in `text`, or null without one. */
  rawAt: number | null;
  rawLength: number;
}

/**
 * The view's filter as an Octane `query` value: the time range, the facet filters (but the one
 * of `omit`, for that facet's own counts) and the raw query, joined by `;` (AND).
 */
export function composeQuery(
  view: View,
  { omit, extra = [], now }: { omit?: string; extra?: string[]; now?: number } = {},
): ComposedQuery {
  const { from, to } = rangeOf(view, now);
  const parts = [
    `creation_time>=^${new Date(from).toISOString()}^`,
    `creation_time<=^${new Date(to).toISOString()}^`,
    ...view.facets.filter((f) => f.field !== omit).map(condition),
    ...extra,
  ];
  let text = `"(${parts.join(";")}`;
  const raw = view.q.trim();
  let rawAt: number | null = null;
  if (raw !== "") {
    text += ";(";
    rawAt = text.length;
    text += `${raw})`;
  }
  return { text: `${text})"`, rawAt, rawLength: raw.length };
}
