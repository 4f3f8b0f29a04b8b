/**
 * Every admin dialect under /api/admin: Octane at /api/admin/api/shared_spaces/…, Cognite at
 * /api/admin/api/v1/orgs/…, LogScale at /api/admin/graphql, Formal at
 * /api/admin/core.v1.SessionsService/…, SAYMON at /api/admin/node/api/users/session/log.
 */
import { apiKeyAuthenticator, defaultTenant, nextAdmin } from "@session-ledger/http/next";
import { ledger, seeded, TENANT, taskRunner } from "../../../../lib/ledger";

// The ledger lives in this process: never prerender, never cache.
export const dynamic = "force-dynamic";

/** The development key; set ADMIN_API_KEY (16 characters at least) anywhere else. */
const DEV_KEY = "dev-admin-key-change-me";

const admin = nextAdmin({
  ledger,
  taskRunner,
  basePath: "/api/admin",
  authenticate: apiKeyAuthenticator({
    keys: {
      [process.env.ADMIN_API_KEY ?? DEV_KEY]: {
        id: "admin",
        tenants: [TENANT],
        permissions: ["sessions:read", "sessions:terminate", "sessions:export", "read-session-log"],
      },
    },
  }),
  // Cognite names its org in the path (`space-1001`); the other dialects act in the key's one tenant.
  tenant: (request, principal, fromPath) =>
    defaultTenant(request, principal, fromPath?.replace(/^space-/, "") ?? null),
});

/** The routes, once the example's seed sessions are stored. */
const seededFirst =
  (route: (request: Request) => Promise<Response>) =>
  async (request: Request): Promise<Response> => {
    await seeded;
    return route(request);
  };

export const GET = seededFirst(admin.GET);
export const HEAD = seededFirst(admin.HEAD);
export const POST = seededFirst(admin.POST);
export const PUT = seededFirst(admin.PUT);
export const PATCH = seededFirst(admin.PATCH);
export const DELETE = seededFirst(admin.DELETE);
