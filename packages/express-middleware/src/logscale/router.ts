/**
 * The LogScale GraphQL endpoint (seed 001): `POST /graphql` through the shared admin pipeline
 * (the URL's door, authentication, the organization and its access check), then served by
 * graphql-http, the reference GraphQL-over-HTTP server, over the schema in `schema.ts`.
 * Permissions are checked per field, since one document may ask for several operations.
 */
import type { Request, Response, Router } from "express";
import { GraphQLError, type ValidationRule } from "graphql";
import { createHandler, type RequestParams } from "graphql-http";
import { createAdminContext } from "../admin/context.js";
import { describeError } from "../admin/errors.js";
import type { LogScaleLimits } from "../admin/limits.js";
import { type AdminRouterOptions, checkRouterOptions } from "../admin/options.js";
import { readJsonBody } from "../admin/params.js";
import { hasPermission } from "../admin/principal.js";
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

/** What the handler hands graphql-http with each request: the checked body and the caller. */
interface Operation {
  res: Response;
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
export function createLogScaleRouter(options: LogScaleRouterOptions): Router {
  checkRouterOptions("createLogScaleRouter", options, ["path"]);
  const path = options.path ?? "/graphql";
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(
      `createLogScaleRouter: 'path' must be a path starting with '/', got ${quote(path)}`,
    );
  }
  const { ledger, limits, router, log } = createAdminContext(
    options,
    "logscale",
    logScaleErrorBody,
    { unauthenticated: () => UNAUTHENTICATED_MESSAGE },
  );
  const execute = createHandler<Request, Operation, Operation["context"]>({
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
        if (cause !== null && !describeError(cause).expose) log(req.raw, req.context.res, cause);
      }
    },
  });

  return router([
    {
      method: "POST",
      path,
      anyOf: null,
      tenantNoun: "organization",
      async handler(req, res, { principal, tenantId }) {
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
        const [answer, init] = await execute({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: null,
          raw: req,
          context: { res, params, context },
        });
        res.writeHead(init.status, init.statusText, init.headers).end(answer);
      },
    },
  ]);
}
