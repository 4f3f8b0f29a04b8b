/**
 * Every router of the package mounted on one Express app over a memory-store ledger, filled
 * with the fixtures' generated sessions and run on a settable clock: the app the seed examples,
 * the bad-input tests and the fuzzer send their requests to. It is mounted the way a host
 * with one admin key and several tenants would mount it (the demo does the same on SQLite):
 * Cognite's org `space-1001` is tenant 1001; LogScale, Formal and SAYMON act in 1001 unless
 * `X-Tenant-Id` names another; LogScale also serves users signed in through `POST /login`.
 * Not part of the package's public surface.
 */

import type { RequestListener } from "node:http";
import { createMemoryStore, type SessionStore } from "@session-ledger/core";
import type { SessionRecord } from "@session-ledger/core/store";
import { sessionRecord } from "@session-ledger/core/testing";
import { generateSessions, SPACES } from "@session-ledger/fixtures";
import express, { type Express } from "express";
import {
  createCogniteRouter,
  createFormalRouter,
  createLogScaleRouter,
  createOctaneRouter,
  createSaymonRouter,
  type TenantResolver,
} from "../adapters/express.js";
import { apiKeyAuthenticator } from "../admin/api-key.js";
import { type Principal, signedInPrincipal } from "../admin/principal.js";
import type { AdminRequest } from "../admin/request.js";
import { defaultTenant } from "../admin/tenant.js";
import { type AdminHandler, createAdminHandler, createLogScaleHandler } from "../handler.js";
import { issueSession, sessionTracking } from "../tracking/tracking.js";
import {
  cookieAttributes,
  DEFAULT_COOKIE_NAME,
  presentedToken,
  sessionCookie,
} from "../tracking/web.js";
import { frameworkApp, type NodeFramework } from "./frameworks.js";
import { createTestLedger, type TestLedger } from "./ledger.js";

/** The app's clock starts here; its generated sessions lie in the year before. */
export const APP_NOW = Date.parse("2026-03-01T12:00:00.000Z");
/** A key with every permission in every tenant. */
export const ADMIN_KEY = "admin-key-for-every-dialect";
/** A key that may read and export, but not terminate. */
export const READONLY_KEY = "readonly-key-for-every-dialect";
/** The tenant of the dialects whose requests name none. */
export const APP_SPACE = "1001";
/** The tenants the generated sessions are spread over. */
export const APP_SPACES: readonly string[] = SPACES;

const KEYS: Record<string, Principal> = {
  [ADMIN_KEY]: {
    id: "admin",
    tenants: "*",
    permissions: [
      "sessions:read",
      "sessions:terminate",
      "sessions:export",
      "sessions:settings",
      "read-session-log",
    ],
  },
  [READONLY_KEY]: {
    id: "auditor",
    tenants: "*",
    permissions: ["sessions:read", "sessions:export", "read-session-log"],
  },
};

export interface AdminApp extends TestLedger {
  /** The Express app, or a Node request listener of the same routes on another framework. */
  app: Express | RequestListener;
  /** The framework serving the routes. */
  framework: NodeFramework;
  /** Stores a session as given (fixed id and times), for the seeds' literal examples. */
  insert(record: Partial<SessionRecord> & Pick<SessionRecord, "id" | "tenantId">): Promise<void>;
  /** The ids of every task the store was given, whatever became of it. */
  taskIds(): string[];
}

/** The store, noting the id of each task it is given. */
function notingTasks(store: SessionStore, ids: string[]): SessionStore {
  return {
    ...store,
    insertTask(task) {
      ids.push(task.id);
      return store.insertTask(task);
    },
  };
}

/** Starts the app with `sessions` generated sessions. */
export async function startAdminApp(
  sessions = 3000,
  framework: NodeFramework = "express",
): Promise<AdminApp> {
  const taskIds: string[] = [];
  const harness = createTestLedger({
    now: APP_NOW,
    store: notingTasks(createMemoryStore(), taskIds),
  });
  const { ledger, store, taskRunner } = harness;
  for (const record of generateSessions({ count: sessions, now: APP_NOW })) {
    await store.insertSession(record);
  }

  const authenticate = apiKeyAuthenticator({ keys: KEYS });
  const org: TenantResolver = (_req, _principal, fromPath) =>
    fromPath!.startsWith("space-") ? fromPath!.slice("space-".length) : fromPath!;
  const space: TenantResolver = (req, principal, fromPath) =>
    req.get("X-Tenant-Id") === undefined ? APP_SPACE : defaultTenant(req, principal, fromPath);
  const tracked = () => APP_SPACE;
  const insert: AdminApp["insert"] = async (record) => {
    await store.insertSession(sessionRecord({ createdAt: harness.now(), ...record }));
  };

  if (framework !== "express") {
    const mounted = await frameworkApp(framework, webHandlers(harness));
    return {
      ...harness,
      app: mounted.listener,
      framework,
      insert,
      taskIds: () => [...taskIds],
      async close() {
        await mounted.close();
        await harness.close();
      },
    };
  }

  const app = express();
  app.use(createOctaneRouter({ ledger, taskRunner, authenticate }));
  app.use(createCogniteRouter({ ledger, authenticate, tenant: org }));
  app.use(createFormalRouter({ ledger, authenticate, tenant: space }));
  app.use(createSaymonRouter({ ledger, authenticate, tenant: space }));
  app.use("/graphql", sessionTracking({ ledger, tenant: tracked }));
  app.use(
    createLogScaleRouter({
      ledger,
      tenant: space,
      authenticate: async (req) =>
        (await authenticate(req)) ?? signedInPrincipal(req.sessionLedger?.session),
    }),
  );
  app.post("/login", express.json(), async (req, res) => {
    const login = String(req.body.login);
    const { session } = await issueSession(req, res, {
      ledger,
      tenantId: tracked(),
      user: { id: `local-${login}`, login },
    });
    res.status(201).json({ id: session.id });
  });

  return { ...harness, app, framework, insert, taskIds: () => [...taskIds] };
}

/**
 * The routes of the Express app above as Web handlers, for the other frameworks: the same
 * dialects, tenants and keys, LogScale's signed-in users, and `POST /login`.
 */
function webHandlers({ ledger, taskRunner }: TestLedger): AdminHandler[] {
  const authenticate = apiKeyAuthenticator({ keys: KEYS });
  const org = (_req: unknown, _principal: Principal, fromPath: string | null) =>
    fromPath!.startsWith("space-") ? fromPath!.slice("space-".length) : fromPath!;
  const space = (req: AdminRequest, principal: Principal, fromPath: string | null) =>
    req.headers.get("X-Tenant-Id") === null ? APP_SPACE : defaultTenant(req, principal, fromPath);
  const signedIn = async (req: AdminRequest) => {
    const presented = presentedToken(req, { cookieName: DEFAULT_COOKIE_NAME, bearer: true });
    return presented === null ? null : ledger.validate(APP_SPACE, presented.token);
  };
  const login = async (request: Request) => {
    const body = (await request.json()) as { login?: unknown };
    const loginName = String(body.login);
    const { session, token } = await ledger.create({
      tenantId: APP_SPACE,
      user: { id: `local-${loginName}`, login: loginName },
    });
    return Response.json(
      { id: session.id },
      {
        status: 201,
        headers: {
          "Set-Cookie": sessionCookie(DEFAULT_COOKIE_NAME, token, cookieAttributes(), {
            now: session.createdAt,
            expiresAt: session.absoluteExpiresAt,
          }),
        },
      },
    );
  };
  const loginRoute = Object.assign(
    async (request: Request) =>
      request.method === "POST" && new URL(request.url).pathname === "/login"
        ? login(request)
        : null,
    { claims: (path: string) => path === "/login" },
  );
  return [
    createAdminHandler({
      ledger,
      taskRunner,
      authenticate,
      dialects: ["octane", "cognite", "formal", "saymon"],
      cognite: { tenant: org },
      formal: { tenant: space },
      saymon: { tenant: space },
    }),
    createLogScaleHandler({
      ledger,
      tenant: space,
      authenticate: async (req) => authenticate(req) ?? signedInPrincipal(await signedIn(req)),
    }),
    loginRoute,
  ];
}
