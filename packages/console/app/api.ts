/**
 * The admin routes as the page calls them: Octane's session routes under `apiBase`, with the
 * caller's API key (api-key mode) or the host's cookie, and the console's request header on
 * every call so that a host authenticating by cookie can tell them from a forged form post.
 */

/** What `<meta name="session-ledger-console">` carries (see the handler). */
export interface PageConfig {
  apiBase: string;
  auth: "cookie" | "api-key";
  defaultSpace: string | null;
}

export function readConfig(): PageConfig {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="session-ledger-console"]');
  const parsed = JSON.parse(meta?.content || "{}") as Partial<PageConfig>;
  return {
    apiBase: parsed.apiBase ?? "./",
    auth: parsed.auth === "api-key" ? "api-key" : "cookie",
    defaultSpace: parsed.defaultSpace ?? null,
  };
}

/** An error answer of the API, in Octane's envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The parameter at fault (`query`, `group_by`…) and the offset in it, when given. */
    readonly parameter: string | null,
    readonly position: number | null,
    readonly correlationId: string | null,
  ) {
    super(message);
  }
}

export interface Whoami {
  id: string;
  tenants: string[] | "*";
  permissions: string[];
  features: string[];
  limits: { max_page_size: number; max_terminate_ids: number; creation_range_days: number | null };
}

const KEY_STORAGE = "session-ledger-console:api-key";

export interface Api {
  readonly config: PageConfig;
  /** The key kept for this tab (api-key mode), or null. */
  key(): string | null;
  setKey(key: string | null): void;
  get<T>(path: string, params?: Record<string, string>, signal?: AbortSignal): Promise<T>;
  put<T>(path: string, body: unknown, params?: Record<string, string>): Promise<T>;
  download(path: string, params: Record<string, string>): Promise<Blob>;
}

export function createApi(config: PageConfig): Api {
  const base = new URL(config.apiBase, document.baseURI);

  const url = (path: string, params: Record<string, string> = {}) => {
    const target = new URL(path.replace(/^\//, ""), base);
    for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
    return target;
  };

  const headers = (extra: Record<string, string> = {}) => {
    const all: Record<string, string> = {
      Accept: "application/json",
      "X-Session-Ledger-Request": "console",
      ...extra,
    };
    const key = config.auth === "api-key" ? sessionStorage.getItem(KEY_STORAGE) : null;
    if (key) all["X-API-KEY"] = key;
    return all;
  };

  async function call(target: URL, init: RequestInit): Promise<Response> {
    const response = await fetch(target, { credentials: "same-origin", ...init });
    if (response.ok) return response;
    let body: {
      description?: string;
      properties?: { parameter?: string; position?: number } | null;
      correlation_id?: string;
    } = {};
    try {
      body = await response.json();
    } catch {
      // Not Octane's envelope (a proxy's page): the status says enough.
    }
    throw new ApiError(
      response.status,
      body.description ?? `${response.status} ${response.statusText}`,
      body.properties?.parameter ?? null,
      body.properties?.position ?? null,
      body.correlation_id ?? response.headers.get("X-Correlation-ID"),
    );
  }

  return {
    config,
    key: () => sessionStorage.getItem(KEY_STORAGE),
    setKey(key) {
      if (key === null) sessionStorage.removeItem(KEY_STORAGE);
      else sessionStorage.setItem(KEY_STORAGE, key);
    },
    async get(path, params, signal) {
      const response = await call(url(path, params), { headers: headers(), signal });
      return response.json();
    },
    async put(path, body, params) {
      const response = await call(url(path, params), {
        method: "PUT",
        headers: headers({ "Content-Type": "application/json" }),
        body: JSON.stringify(body),
      });
      return response.json();
    },
    async download(path, params) {
      const response = await call(url(path, params), { headers: headers({ Accept: "*/*" }) });
      return response.blob();
    },
  };
}
