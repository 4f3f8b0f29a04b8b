/**
 * The LogScale session API as a GraphQL schema over the ledger: the `sessions` query and
 * the `revokeSession`, `logoutOfSession` and `updateSessionSettings` mutations, with the
 * argument names, enums and defaults of LogScale's published schema.
 */
import {
  allOf,
  type Filter,
  type Session,
  type SessionLedger,
  type SortKey,
  ValidationError,
} from "@session-ledger/core";
import {
  buildSchema,
  GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  GraphQLScalarType,
  type GraphQLSchema,
  Kind,
} from "graphql";
import { quote, requireId } from "../admin/text.js";
import { toGraphQLError } from "./errors.js";

const SDL = /* GraphQL */ `
  "Epoch milliseconds, outside GraphQL's 32-bit Int range."
  scalar Long

  enum Sessions__Filter_Level { Organization User }
  enum Sessions__SortBy { LastActivityTime LoginTime IPAddress Location ClientInfo User }
  enum OrderBy { DESC ASC }
  enum SessionRevocation__Type { Organization User Session }

  type User {
    id: String!
    username: String!
    fullName: String
    email: String
  }

  type Session {
    id: String!
    clientInfo: String!
    city: String
    country: String
    ip: String!
    user: User!
    createdAt: Long
    lastActivityAt: Long
    isCurrentSession: Boolean!
  }

  type SessionQueryResultSet {
    totalResults: Int!
    results: [Session!]!
  }

  type OrganizationSession {
    maxInactivityPeriod: Long!
    forceReauthenticationAfter: Long!
  }

  type OrganizationConfigs {
    session: OrganizationSession!
  }

  type Organization {
    id: String!
    configs: OrganizationConfigs!
  }

  input RevokeSessionInput {
    id: String!
    revocationType: SessionRevocation__Type!
  }

  input SessionInput {
    maxInactivityPeriod: Long!
    forceReauthenticationAfter: Long!
  }

  type Query {
    sessions(
      searchFilter: String
      level: Sessions__Filter_Level = Organization
      sortBy: Sessions__SortBy = LastActivityTime
      orderBy: OrderBy = ASC
      skip: Int = 0
      limit: Int = 50
      onlyActiveSessions: Boolean = true
    ): SessionQueryResultSet!
    "The caller's organization, with its session settings."
    organization: Organization!
  }

  type Mutation {
    revokeSession(input: RevokeSessionInput!): Boolean!
    logoutOfSession: Boolean!
    updateSessionSettings(input: SessionInput!): Organization!
  }
`;

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

/** No maximum is documented; this one keeps a page's cost bounded. */
export const MAX_LIMIT = 1000;
const MAX_SEARCH_LENGTH = 256;

const SORT_FIELDS: Record<string, SortKey["field"][]> = {
  LastActivityTime: ["last_activity_time"],
  LoginTime: ["creation_time"],
  IPAddress: ["client_ip"],
  Location: ["country", "city"],
  ClientInfo: ["browser", "os", "device"],
  User: ["user"],
};

const Long = new GraphQLScalarType<number, number>({
  name: "Long",
  serialize: (value) => value as number,
  parseValue(value) {
    if (typeof value !== "number" || !Number.isSafeInteger(value)) {
      throw new GraphQLError(`Long cannot represent ${quote(value)}`);
    }
    return value;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.INT || !Number.isSafeInteger(Number(ast.value))) {
      throw new GraphQLError("Long must be an integer literal within ±2^53", { nodes: ast });
    }
    return Number(ast.value);
  },
});

function demand(context: LogScaleContext, permission: Parameters<LogScaleContext["can"]>[0]) {
  if (!context.can(permission)) {
    throw new GraphQLError(`the ${permission} permission is required`, {
      extensions: { code: "FORBIDDEN" },
    });
  }
}

const literal = (field: "user.login" | "user.email" | "user.full_name", term: string): Filter => ({
  kind: "compare",
  field,
  op: "EQ",
  value: { kind: "pattern", parts: ["", term, ""] },
});

/** The `searchFilter` substring, matched against the user's login, email and name. */
function searchFilter(term: string): Filter {
  if (term.length > MAX_SEARCH_LENGTH) {
    throw new ValidationError(`searchFilter must be at most ${MAX_SEARCH_LENGTH} characters`, {
      target: "searchFilter",
    });
  }
  return {
    kind: "user",
    filter: {
      kind: "or",
      items: [
        literal("user.login", term),
        literal("user.email", term),
        literal("user.full_name", term),
      ],
    },
  };
}

interface SessionsArgs {
  searchFilter?: string | null;
  level: "Organization" | "User";
  sortBy: keyof typeof SORT_FIELDS;
  orderBy: "ASC" | "DESC";
  skip: number;
  limit: number;
  onlyActiveSessions: boolean;
}

async function sessions(args: SessionsArgs, context: LogScaleContext) {
  if (args.level === "Organization") demand(context, "sessions:read");
  if (!Number.isInteger(args.limit) || args.limit < 1 || args.limit > MAX_LIMIT) {
    throw new ValidationError(`limit must be from 1 to ${MAX_LIMIT}, got ${args.limit}`, {
      target: "limit",
    });
  }
  if (args.skip < 0)
    throw new ValidationError(`skip must not be negative, got ${args.skip}`, { target: "skip" });
  const conditions: Filter[] = [];
  if (args.level === "User") {
    if (!context.userId)
      throw new ValidationError("level User needs a caller with a user id", { target: "level" });
    conditions.push({
      kind: "user",
      filter: {
        kind: "compare",
        field: "user.id",
        op: "EQ",
        value: { kind: "text", value: context.userId },
      },
    });
  }
  if (args.onlyActiveSessions) {
    conditions.push({
      kind: "compare",
      field: "status",
      op: "EQ",
      value: { kind: "text", value: "ACTIVE" },
    });
  }
  if (args.searchFilter) conditions.push(searchFilter(args.searchFilter));
  const filter = allOf(conditions);
  const direction = args.orderBy === "DESC" ? "desc" : "asc";
  const sort = (SORT_FIELDS[args.sortBy] ?? []).map((field) => ({ field, direction }) as const);
  const page = await context.ledger.list(context.tenantId, {
    filter,
    sort,
    limit: args.limit,
    offset: args.skip,
    withTotal: true,
  });
  return { totalResults: page.total ?? 0, results: page.items };
}

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
      if (!session)
        throw new GraphQLError(`no session ${quote(input.id)} in this organization`, {
          extensions: { code: "NOT_FOUND" },
        });
      await ledger.terminate(tenantId, input.id);
      return true;
    }
    case "User":
      await ledger.terminateUserSessions(tenantId, input.id);
      return true;
    default:
      if (input.id !== tenantId) {
        throw new GraphQLError(`no organization ${quote(input.id)} for this caller`, {
          extensions: { code: "NOT_FOUND" },
        });
      }
      await ledger.terminateTenantSessions(tenantId);
      return true;
  }
}

async function organization(context: LogScaleContext) {
  const policy = await context.ledger.getPolicy(context.tenantId);
  return {
    id: context.tenantId,
    configs: {
      session: {
        maxInactivityPeriod: policy.idleTimeoutMs,
        forceReauthenticationAfter: policy.maxLifetimeMs,
      },
    },
  };
}

/** LogScale's `clientInfo` is one string: browser, OS and device as parsed, else the raw agent. */
function describeClient(session: Session): string {
  const info = session.clientInfo;
  const parts = [
    info?.browser,
    info?.os && `on ${info.os}`,
    info?.device && `(${info.device})`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(" ") : (session.userAgent ?? "");
}

type Resolver = GraphQLFieldResolver<unknown, LogScaleContext, Record<string, unknown>>;

function attach(type: GraphQLObjectType, resolvers: Record<string, Resolver>) {
  const fields = type.getFields();
  for (const [name, resolve] of Object.entries(resolvers)) {
    fields[name]!.resolve = async (source, args, context, info) => {
      try {
        return await resolve(source, args, context, info);
      } catch (error) {
        throw toGraphQLError(error);
      }
    };
  }
}

/** Builds the executable schema; resolvers read a `LogScaleContext`. */
export function createLogScaleSchema(): GraphQLSchema {
  const schema = buildSchema(SDL);
  Object.assign(schema.getType("Long")!, {
    serialize: Long.serialize,
    parseValue: Long.parseValue,
    parseLiteral: Long.parseLiteral,
  });
  attach(schema.getQueryType()!, {
    sessions: (_source, args, context) => sessions(args as unknown as SessionsArgs, context),
    organization: (_source, _args, context) => organization(context),
  });
  attach(schema.getMutationType()!, {
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
      const input = args.input as {
        maxInactivityPeriod: number;
        forceReauthenticationAfter: number;
      };
      await context.ledger.setPolicy(context.tenantId, {
        idleTimeoutMs: input.maxInactivityPeriod,
        maxLifetimeMs: input.forceReauthenticationAfter,
      });
      return organization(context);
    },
  });
  attach(schema.getType("Session") as GraphQLObjectType, {
    clientInfo: (source) => describeClient(source as Session),
    ip: (source) => (source as Session).clientIp ?? "",
    isCurrentSession: (source, _args, context) => (source as Session).id === context.sessionId,
  });
  attach(schema.getType("User") as GraphQLObjectType, {
    username: (source) => (source as Session["user"]).login,
  });
  return schema;
}
