/**
 * What each field of LogScale's schema does, over the ledger: the listing, the revocations,
 * logging out of one's own session, and the organization's session settings. Permissions are
 * checked per field, since one document may ask for several.
 */
import { type Session, type SessionLedger, ValidationError } from "@session-ledger/core";
import { GraphQLError, type GraphQLFieldResolver } from "graphql";
import type { AdminLimits } from "../admin/limits.js";
import { quote, requireId } from "../admin/text.js";
import { type SessionsArgs, sessionsRequest } from "./request.js";
import { clientInfoOf, ipOf, organizationOf } from "./response.js";

/** What a resolver knows about the request. */
export interface LogScaleContext {
  ledger: SessionLedger;
  /** The caller's organization (tenant). */
  tenantId: string;
  /** The caller's user id, for `level: User` and `revocationType: User` on oneself. */
  userId: string | null;
  /** The caller's own session id, for `isCurrentSession` and `logoutOfSession`. */
  sessionId: string | null;
  /** Whether the caller holds a permission (`sessions:read`, `sessions:terminate`, `sessions:settings`). */
  can(permission: "sessions:read" | "sessions:terminate" | "sessions:settings"): boolean;
}

/** A field's resolver over a {@link LogScaleContext}. */
export type Resolver = GraphQLFieldResolver<unknown, LogScaleContext, Record<string, unknown>>;

type LogScalePermission = Parameters<LogScaleContext["can"]>[0];

/** Refuses a caller holding none of `permissions`. */
function demand(
  context: LogScaleContext,
  ...permissions: [LogScalePermission, ...LogScalePermission[]]
) {
  if (!permissions.some((permission) => context.can(permission))) {
    const named = permissions.join(" or ");
    throw new GraphQLError(`the ${named} permission is required`, {
      extensions: { code: "FORBIDDEN" },
    });
  }
}

const notFound = (message: string) =>
  new GraphQLError(message, { extensions: { code: "NOT_FOUND" } });

async function revokeSession(
  input: { id: string; revocationType: string },
  context: LogScaleContext,
): Promise<boolean> {
  demand(context, "sessions:terminate");
  const { ledger, tenantId } = context;
  requireId("id", input.id);
  switch (input.revocationType) {
    case "Session": {
      const session = await ledger.get(tenantId, input.id);
      if (!session) throw notFound(`no session ${quote(input.id)} in this organization`);
      await ledger.terminate(tenantId, input.id);
      return true;
    }
    case "User":
      await ledger.terminateUserSessions(tenantId, input.id);
      return true;
    default:
      if (input.id !== tenantId) {
        throw notFound(`no organization ${quote(input.id)} for this caller`);
      }
      await ledger.terminateTenantSessions(tenantId);
      return true;
  }
}

async function organization(context: LogScaleContext) {
  return organizationOf(context.tenantId, await context.ledger.getPolicy(context.tenantId));
}

/** The fields of `Query`. */
export const queryFields = (limits: AdminLimits): Record<string, Resolver> => ({
  async sessions(_source, args, context) {
    const request = args as unknown as SessionsArgs;
    if (request.level === "Organization") demand(context, "sessions:read");
    const list = sessionsRequest(request, context, limits);
    const page = await context.ledger.list(context.tenantId, list);
    return { totalResults: page.total ?? 0, results: page.items };
  },
  // The organization's session policy: for those who read sessions or change the settings.
  organization(_source, _args, context) {
    demand(context, "sessions:read", "sessions:settings");
    return organization(context);
  },
});

/** The fields of `Mutation`. */
export const mutationFields: Record<string, Resolver> = {
  revokeSession: (_source, args, context) =>
    revokeSession(args.input as { id: string; revocationType: string }, context),
  async logoutOfSession(_source, _args, context) {
    if (!context.sessionId) {
      throw new GraphQLError("the caller has no session to log out of", {
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
    return context.ledger.logout(context.tenantId, context.sessionId);
  },
  async updateSessionSettings(_source, args, context) {
    demand(context, "sessions:settings");
    const input = args.input as { maxInactivityPeriod: number; forceReauthenticationAfter: number };
    try {
      await context.ledger.setPolicy(context.tenantId, {
        idleTimeoutMs: input.maxInactivityPeriod,
        maxLifetimeMs: input.forceReauthenticationAfter,
      });
    } catch (error) {
      throw inLogScaleTerms(error);
    }
    return organization(context);
  },
};

/** The policy settings by the names of `updateSessionSettings`' input. */
const SETTING_NAMES: Readonly<Record<string, string>> = {
  idleTimeoutMs: "maxInactivityPeriod",
  maxLifetimeMs: "forceReauthenticationAfter",
};

/**
 * A refused policy setting, named as the caller sent it (`input.maxInactivityPeriod`), with the
 * ledger's reason (its bounds: at least a minute). Other errors are returned as they are.
 */
function inLogScaleTerms(error: unknown): unknown {
  if (!(error instanceof ValidationError) || error.target === undefined) return error;
  const name = SETTING_NAMES[error.target];
  if (name === undefined) return error;
  return new ValidationError(`input.${name}: ${error.message}`, {
    target: `input.${name}`,
    cause: error,
  });
}

/** The computed fields of the object types. */
export const typeFields: Record<string, Record<string, Resolver>> = {
  Session: {
    clientInfo: (source) => clientInfoOf(source as Session),
    ip: (source) => ipOf(source as Session),
    isCurrentSession: (source, _args, context) => (source as Session).id === context.sessionId,
  },
  User: {
    username: (source) => (source as Session["user"]).login,
  },
};
