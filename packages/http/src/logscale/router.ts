/**
 * The LogScale GraphQL endpoint (seed 001): `POST /graphql` through the shared admin pipeline
 * (the URL's door, authentication, the organization and its access check), then served by
 * graphql-http, the reference GraphQL-over-HTTP server, over the schema in `schema.ts`.
 * Permissions are checked per field, since one document may ask for several operations.
 */

import { kindOf } from "@session-ledger/core/store";
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationRule } from "graphql";
import { createHandler, type HandlerOptions, type RequestParams } from "graphql-http";
import { createAdminContext, type DialectHandler } from "../admin/context.js";
import { describeError } from "../admin/errors.js";
import type { LogScaleLimits } from "../admin/limits.js";
import { type AdminRouterOptions, checkRouterOptions } from "../admin/options.js";
import { readJsonBody } from "../admin/params.js";
import { hasPermission } from "../admin/principal.js";
import type { AdminRequest } from "../admin/request.js";
import { quote } from "../admin/text.js";
import { causeOf, logScaleErrorBody, UNAUTHENTICATED_MESSAGE } from "./errors.js";
import { parseDocument, requestParams } from "./request.js";
import type { LogScaleContext } from "./resolvers.js";
import { createLogScaleSchema } from "./schema.js";

/**
 * Options of {@link createLogScaleRouter}. A principal with `userId` and `sessionId` (a
 * signed-in user rather than an API key) can use `level: User`, `isCurrentSession` and
 * `logoutOfSession`.
 */
export interface LogScaleRouterOptions extends AdminRouterOptions<LogScaleLimits> {
  /** Where the endpoint is mounted. @default "/graphql" */
  path?: string;
  /**
   * Whether callers that may read sessions (`sessions:read`) can introspect the schema
   * (`__schema`, `__type`) and see field suggestions ("Did you mean …?") in errors. Callers
   * without that permission (a signed-in user, a settings-only key) never can; `false` turns
   * both off for every caller. @default true
   */
  introspection?: boolean;
}

/** The most session lists and session mutations one request may ask for. */
export const MAX_SESSION_FIELDS_PER_REQUEST = 10;

const SESSION_FIELDS = new Set([
  "sessions",
  "organization",
  "revokeSession",
  "logoutOfSession",
  "updateSessionSettings",
]);

/**
 * Bounds the work of one request: each of these fields is a store query or a write, and
 * aliases would otherwise let one small document ask for thousands of them.
 */
function limitSessionFields(max: number): ValidationRule {
  return (context) => {
    let count = 0;
    return {
      Field(node) {
        if (SESSION_FIELDS.has(node.name.value) && ++count === max + 1) {
          context.reportError(
            new GraphQLError(
              `a request may ask for at most ${max} of ${[...SESSION_FIELDS].join(", ")}`,
              { nodes: node },
            ),
          );
        }
      },
    };
  };
}

const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * An error without graphql-js's suggestions, which would name the schema's fields, arguments
 * and enum values to a caller who may not introspect it.
 */
function withoutSuggestions(error: Readonly<GraphQLError | Error>): GraphQLError | Error {
  const message = error.message.replace(SUGGESTION, "");
  if (message === error.message) return error as GraphQLError | Error;
  if (!(error instanceof GraphQLError)) return new Error(message);
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

/** What the handler hands graphql-http with each request: the checked body and the caller. */
interface Operation {
  req: AdminRequest;
  correlationId: string;
  params: RequestParams;
  /** The resolver context, as graphql-http types one: a record. */
  context: LogScaleContext & Record<PropertyKey, unknown>;
}

/**
 * The LogScale router. Mount it at the application root (or under a prefix):
 *
 * ```ts
 * app.use(createLogScaleRouter({ ledger, authenticate }));
 * ```
 *
 * No or unknown credentials are a 401 and an organization the caller may not act in a 403,
 * both as `{"errors":[…]}` bodies. Then graphql-http runs the document: bad documents, unknown
 * enum values and failed resolvers answer as the GraphQL-over-HTTP spec says (status 200 with
 * `errors` for `Accept: application/json`, the default; 400 for invalid documents with
 * `Accept: application/graphql-response+json`).
 */
export function logScaleDialect(options: LogScaleRouterOptions, factory: string): DialectHandler {
  checkRouterOptions(factory, options, ["path", "introspection"]);
  const path = options.path ?? "/graphql";
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(`${factory}: 'path' must be a path starting with '/', got ${quote(path)}`);
  }
  const { ledger, limits, routes, log } = createAdminContext(
    options,
    "logscale",
    logScaleErrorBody,
    { unauthenticated: () => UNAUTHENTICATED_MESSAGE },
  );
  const handlerOptions: HandlerOptions<AdminRequest, Operation, Operation["context"]> = {
    schema: createLogScaleSchema(limits),
    // The handler read and checked the body; graphql-http would read it again, with rules of
    // its own about the media type and answers outside LogScale's error shape.
    parseRequestParams: (req) => req.context.params,
    parse: parseDocument,
    context: (req) => req.context.context,
    validationRules: [limitSessionFields(MAX_SESSION_FIELDS_PER_REQUEST)],
    onOperation(req, _args, result) {
      // Resolvers answer server faults with a generic message; the cause goes to the log.
      const errors = "errors" in result ? (result.errors ?? []) : [];
      for (const error of errors) {
        const cause = causeOf(error);
        if (cause !== null && !describeError(cause).expose) {
          log(req.context.req, req.context.correlationId, cause);
        }
      }
    },
  };
  // Two handlers over one schema: one that lets a reader of sessions look at the schema, and
  // one that neither answers introspection nor suggests names in its errors.
  const open = createHandler(handlerOptions);
  const closed = createHandler({
    ...handlerOptions,
    validationRules: [
      limitSessionFields(MAX_SESSION_FIELDS_PER_REQUEST),
      NoSchemaIntrospectionCustomRule,
    ],
    formatError: withoutSuggestions,
  });
  const introspection = options.introspection ?? true;
  if (typeof introspection !== "boolean") {
    throw new TypeError(
      `${factory}: 'introspection' must be true or false, got ${kindOf(introspection)}`,
    );
  }

  return routes([
    {
      method: "POST",
      path,
      anyOf: null,
      tenantNoun: "organization",
      async handler(req, { principal, tenantId, correlationId }) {
        // LogScale's own examples (Python, PowerShell) send the multi-line document inside the
        // JSON string as it is, which strict JSON forbids: raw line breaks and tabs are read as
        // escapes.
        const body = await readJsonBody(req, {
          limit: limits.maxBodyBytes,
          rawBreaksInStrings: true,
        });
        const params = requestParams(body);
        const context: Operation["context"] = {
          ledger,
          tenantId,
          userId: principal.userId ?? null,
          sessionId: principal.sessionId ?? null,
          can: (permission) => hasPermission(principal, permission),
        };
        const execute = introspection && hasPermission(principal, "sessions:read") ? open : closed;
        const [answer, init] = await execute({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: null,
          raw: req,
          context: { req, correlationId, params, context },
        });
        return new Response(answer, init);
      },
    },
  ]);
}
