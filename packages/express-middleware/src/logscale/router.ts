/**
 * The LogScale GraphQL endpoint (seed 001): `POST /graphql` served by graphql-http, the
 * reference GraphQL-over-HTTP server, over the schema in `schema.ts`. This file only decides
 * who is calling and in which organization; the schema maps GraphQL to ledger calls.
 */
import type { SessionLedger } from "@session-ledger/core";
import express, { type Request, type Response, type Router } from "express";
import { GraphQLError, type ValidationRule } from "graphql";
import type { RequestParams } from "graphql-http";
import { createHandler } from "graphql-http/lib/use/express";
import { type AdminErrorLogger, createAdminContext, logToConsole } from "../admin/context.js";
import { correlationIdFor } from "../admin/correlation.js";
import { AdminError, describeError } from "../admin/errors.js";
import { readJsonBody } from "../admin/params.js";
import { type Authenticate, hasPermission, requireTenantAccess } from "../admin/principal.js";
import { defaultTenant, type TenantResolver } from "../admin/tenant.js";
import { causeOf, logScaleErrorBody } from "./errors.js";
import { parseDocument, requestParams } from "./request.js";
import { createLogScaleSchema, type LogScaleContext } from "./schema.js";

/** Options of {@link createLogScaleRouter}. */
export interface LogScaleRouterOptions {
  ledger: SessionLedger;
  /**
   * Turns a request into a principal, or null (401). A principal with `userId` and
   * `sessionId` (a signed-in user rather than an API key) can use `level: User`,
   * `isCurrentSession` and `logoutOfSession`.
   */
  authenticate: Authenticate;
  /**
   * The organization (tenant) a request acts in; checked against the principal's tenants.
   * @default the `X-Tenant-Id` header, else the principal's only tenant
   */
  organization?: TenantResolver;
  /** Where the endpoint is mounted. @default "/graphql" */
  path?: string;
  /** The largest request body, in bytes. @default 64 KiB */
  maxBodyBytes?: number;
  /** Receives server-side failures. @default console.error */
  onError?: AdminErrorLogger;
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

/** The resolver context as graphql-http types one: a record. */
type OperationContext = LogScaleContext & Record<PropertyKey, unknown>;

/** Where `prepare` leaves the resolver context for graphql-http's `context` callback. */
const CONTEXT_KEY = "sessionLedgerLogScale";
/** Where `prepare` leaves the checked request parameters for graphql-http. */
const PARAMS_KEY = "sessionLedgerLogScaleParams";

/**
 * The LogScale router. Mount it at the application root (or under a prefix):
 *
 * ```ts
 * app.use(createLogScaleRouter({ ledger, authenticate }));
 * ```
 *
 * Authentication and the organization are settled first: no or unknown credentials are a 401
 * and an organization the caller may not act in a 403, both as `{"errors":[…]}` bodies. Then
 * graphql-http runs the document: bad documents, unknown enum values and failed resolvers
 * answer as the GraphQL-over-HTTP spec says (status 200 with `errors` for
 * `Accept: application/json`, the default; 400 for invalid documents with
 * `Accept: application/graphql-response+json`). Permissions are checked per field.
 */
export function createLogScaleRouter(options: LogScaleRouterOptions): Router {
  const { ledger } = options;
  const organization = options.organization ?? defaultTenant;
  const path = options.path ?? "/graphql";
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const onError = options.onError ?? logToConsole;
  // Only its error rendering is used: the endpoint has no one permission to check up front,
  // since each field checks its own.
  const admin = createAdminContext({
    authenticate: options.authenticate,
    envelope: logScaleErrorBody,
    onError,
  });

  const execute = createHandler<OperationContext>({
    schema: createLogScaleSchema(),
    // The body was read and checked in `prepare`; graphql-http would read it again, with
    // rules of its own about the media type and answers outside LogScale's error shape.
    parseRequestParams: (req) => req.context.res.locals[PARAMS_KEY] as RequestParams,
    parse: parseDocument,
    context: (req) => req.context.res.locals[CONTEXT_KEY] as OperationContext,
    validationRules: [limitSessionFields(MAX_SESSION_FIELDS_PER_REQUEST)],
    onOperation(req, _args, result) {
      // Resolvers answer server faults with a generic message; the cause goes to the log.
      const errors = "errors" in result ? (result.errors ?? []) : [];
      for (const error of errors) {
        const cause = causeOf(error);
        if (cause !== null && !describeError(cause).expose) {
          const { raw } = req;
          onError(cause, {
            correlationId: correlationIdFor(raw, req.context.res),
            method: raw.method,
            url: raw.originalUrl ?? raw.url,
          });
        }
      }
    },
  });

  /** Authenticates, settles the organization and reads the body; the context goes on `res.locals`. */
  async function prepare(req: Request, res: Response): Promise<void> {
    correlationIdFor(req, res);
    const principal = await options.authenticate(req);
    if (!principal) {
      throw new AdminError(
        "UNAUTHENTICATED",
        "authentication required: send a token (Authorization: Bearer or X-API-KEY)",
      );
    }
    const tenantId = await organization(req, principal);
    requireTenantAccess(principal, tenantId, "organization");
    // LogScale's own examples (Python, PowerShell) send the multi-line document inside the JSON
    // string as it is, which strict JSON forbids: raw line breaks and tabs are read as escapes.
    const body = await readJsonBody(req, { limit: maxBodyBytes, rawBreaksInStrings: true });
    res.locals[PARAMS_KEY] = requestParams(body);
    const context: LogScaleContext = {
      ledger,
      tenantId,
      userId: principal.userId ?? null,
      sessionId: principal.sessionId ?? null,
      can: (permission) => hasPermission(principal, permission),
    };
    res.locals[CONTEXT_KEY] = context;
  }

  const router = express.Router();
  // The URL's door: other methods are a 405, and no query parameter is taken (the document
  // comes in the body).
  router.use(admin.guard([{ method: "POST", path }]));
  router.post(path, (req, res, next) => {
    void prepare(req, res).then(
      () => execute(req, res, next),
      (error: unknown) => admin.sendError(req, res, error),
    );
  });
  router.use(admin.errorHandler);
  return router;
}
