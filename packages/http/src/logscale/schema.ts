/**
 * LogScale's session API as a GraphQL schema: the `sessions` query and the `revokeSession`,
 * `logoutOfSession` and `updateSessionSettings` mutations, with the argument names, enums and
 * defaults of LogScale's published schema. What each field does is in `resolvers.ts`.
 */
import {
  buildSchema,
  GraphQLError,
  type GraphQLObjectType,
  GraphQLScalarType,
  type GraphQLSchema,
  Kind,
} from "graphql";
import { type AdminLimits, DIALECT_LIMITS } from "../admin/limits.js";
import { quote } from "../admin/text.js";
import { toGraphQLError } from "./errors.js";
import { mutationFields, queryFields, type Resolver, typeFields } from "./resolvers.js";

const sdl = (defaultPageSize: number) => /* GraphQL */ `
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
      limit: Int = ${defaultPageSize}
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

/** Sets the fields' resolvers; whatever one throws becomes a GraphQL error with a code. */
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

/**
 * Builds the executable schema over `limits` (`sessions`' default `limit` is their
 * `defaultPageSize`); resolvers read a `LogScaleContext`.
 */
export function createLogScaleSchema(limits: AdminLimits = DIALECT_LIMITS.logscale): GraphQLSchema {
  const schema = buildSchema(sdl(limits.defaultPageSize));
  Object.assign(schema.getType("Long")!, {
    serialize: Long.serialize,
    parseValue: Long.parseValue,
    parseLiteral: Long.parseLiteral,
  });
  attach(schema.getQueryType()!, queryFields(limits));
  attach(schema.getMutationType()!, mutationFields);
  for (const [name, resolvers] of Object.entries(typeFields)) {
    attach(schema.getType(name) as GraphQLObjectType, resolvers);
  }
  return schema;
}
