/**
 * The five dialects of the admin app as the bad-input tests call them: an authenticated
 * request, a request that must succeed, and each dialect's error body, read into one shape.
 * Not part of the package's public surface.
 */
import { once } from "node:events";
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestListener,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import request from "supertest";
import { expect } from "vitest";
import { ADMIN_KEY } from "./admin-app.js";

/** What supertest sends requests to: an app, a server, or a listening server's URL. */
type App = Parameters<typeof request>[0];

export type DialectName = "Octane" | "Cognite" | "LogScale" | "Formal" | "SAYMON";

/** What an error body says, whatever its dialect's shape. */
export interface ErrorSaid {
  /** Octane's `properties.parameter`; null in the other dialects. */
  parameter: string | null;
  message: string;
  /** LogScale's GraphQL errors say where in the document instead of naming a parameter. */
  located: boolean;
}

export interface DialectUnderTest {
  name: DialectName;
  /** A request with the admin key, sent as this dialect's clients send it. */
  call(app: App, method: "get" | "put" | "post" | "delete", path: string): request.Test;
  /** A request that must answer 200. */
  good(app: App): request.Test;
  /** Checks that the body is exactly this dialect's error body, and reads it. */
  error(res: Answer): ErrorSaid;
}

/** An HTTP answer as the tests read it: supertest's response, or {@link sendRaw}'s. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: a parsed JSON body, as supertest types it
  body: any;
}

/** A request as it goes on the wire. */
export interface RawRequest {
  method: string;
  /** The request target, sent as is (percent-encodings untouched). */
  path: string;
  /** Values go out as latin1 bytes: `"\u00c0"` is the byte C0. */
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
}

/** A server on a free port that takes requests byte for byte; see {@link sendRaw}. */
export interface RawServer {
  send(raw: RawRequest): Promise<Answer>;
  close(): Promise<void>;
}

/**
 * Serves `app` for {@link RawRequest}s: supertest encodes header values as UTF-8, so it cannot
 * send a header that is not UTF-8, or a raw byte in a path, as a hostile client can.
 */
export async function serveRaw(app: Express | RequestListener): Promise<RawServer> {
  const server = createServer(app).listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    async send(raw) {
      const req = httpRequest({ host: "127.0.0.1", port, ...raw, agent: false });
      // A Buffer: with a string, Node writes the headers in the body's encoding (UTF-8).
      req.end(typeof raw.body === "string" ? Buffer.from(raw.body) : raw.body);
      const [res] = (await once(req, "response")) as [IncomingMessage];
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString("utf8");
      const json = /json/.test(res.headers["content-type"] ?? "");
      return {
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: json ? JSON.parse(text) : text,
      };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Sends one request byte for byte (see {@link serveRaw}). */
export async function sendRaw(app: Express | RequestListener, raw: RawRequest): Promise<Answer> {
  const server = await serveRaw(app);
  try {
    return await server.send(raw);
  } finally {
    await server.close();
  }
}

const FORMAL_CODES = [
  "invalid_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "internal_error",
];
/** An Octane query the 30-day rule accepts: the open sessions. */
export const OPEN_SESSIONS = `query=${encodeURIComponent('"(end_time=null)"')}`;

const plain = (said: Pick<ErrorSaid, "message">): ErrorSaid => ({
  parameter: null,
  located: false,
  ...said,
});

export const DIALECTS: Record<DialectName, DialectUnderTest> = {
  Octane: {
    name: "Octane",
    call: (app, method, path) => request(app)[method](path).set("X-API-KEY", ADMIN_KEY),
    good: (app) =>
      request(app)
        .get(`/api/shared_spaces/1001/sessions?${OPEN_SESSIONS}&limit=1`)
        .set("X-API-KEY", ADMIN_KEY),
    error(res) {
      const { body } = res;
      expect(body).toEqual({
        error_code: expect.stringMatching(/^platform\.[a-z_]+$/),
        correlation_id: res.headers["x-correlation-id"],
        description: expect.any(String),
        description_translated: body.description,
        properties:
          body.properties === null
            ? null
            : {
                parameter: expect.any(String),
                ...(body.properties.position !== undefined && { position: expect.any(Number) }),
              },
        business_error: false,
      });
      return {
        parameter: body.properties?.parameter ?? null,
        message: body.description,
        located: false,
      };
    },
  },
  Cognite: {
    name: "Cognite",
    call: (app, method, path) =>
      request(app)[method](path).set("Authorization", `Bearer ${ADMIN_KEY}`),
    good: (app) =>
      request(app)
        .get("/api/v1/orgs/space-1001/principals/220001/sessions?limit=1")
        .set("Authorization", `Bearer ${ADMIN_KEY}`),
    error(res) {
      expect(res.body).toEqual({ code: res.status, message: expect.any(String) });
      return plain(res.body);
    },
  },
  LogScale: {
    name: "LogScale",
    // graphql-response+json: a document that does not parse is a 400, not a 200 with errors.
    call: (app, method, path) =>
      request(app)
        [method](path)
        .set("Authorization", `Bearer ${ADMIN_KEY}`)
        .set("Accept", "application/graphql-response+json"),
    good: (app) =>
      request(app)
        .post("/graphql")
        .set("Authorization", `Bearer ${ADMIN_KEY}`)
        .send({ query: "{ sessions(limit: 1) { totalResults } }" }),
    error(res) {
      expect(res.body).toEqual({ errors: expect.any(Array) });
      const errors: unknown[] = res.body.errors;
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) expect(error).toMatchObject({ message: expect.any(String) });
      const [first] = res.body.errors;
      // Every error says what went wrong: a code for the router's own, a place in the document
      // for graphql-js's.
      const located = Array.isArray(first.locations) && first.locations.length > 0;
      if (!located) expect(first.extensions?.code).toEqual(expect.any(String));
      return { parameter: null, message: first.message, located };
    },
  },
  Formal: {
    name: "Formal",
    call: (app, method, path) => request(app)[method](path).set("X-API-KEY", ADMIN_KEY),
    good: (app) =>
      request(app)
        .post("/core.v1.SessionsService/ListSessionsV2")
        .set("X-API-KEY", ADMIN_KEY)
        .send({ limit: 1 }),
    error(res) {
      expect(res.body).toEqual({ code: expect.any(String), message: expect.any(String) });
      expect(FORMAL_CODES).toContain(res.body.code);
      return plain(res.body);
    },
  },
  SAYMON: {
    name: "SAYMON",
    call: (app, method, path) => request(app)[method](path).auth("admin", ADMIN_KEY),
    good: (app) => request(app).get("/node/api/users/session/log?limit=1").auth("admin", ADMIN_KEY),
    error(res) {
      expect(res.body).toEqual({
        code: expect.stringMatching(/^[A-Z][A-Za-z]+$/),
        message: expect.any(String),
      });
      return plain(res.body);
    },
  },
};

/** What a refusal must look like. */
export interface Refusal {
  status: number;
  /** The parameter the error must name: Octane's `properties.parameter`, else in the message. */
  names?: string;
  /** What the message must say. */
  says?: RegExp;
  /** The `Allow` header of a 405. */
  allow?: string;
}

/** Checks a refusal in the dialect's own body, then that the server still answers. */
export async function expectRefusal(
  dialect: DialectUnderTest,
  app: App,
  res: Answer,
  { status, names, says, allow }: Refusal,
): Promise<ErrorSaid> {
  const shown = `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
  expect(res.status, shown).toBe(status);
  expect(res.headers["content-type"], shown).toMatch(/json/);
  const said = dialect.error(res);
  if (names !== undefined) {
    if (dialect.name === "Octane") expect(said.parameter, shown).toBe(names);
    else expect(said.message, shown).toContain(names);
  }
  if (says !== undefined) expect(said.message, shown).toMatch(says);
  if (allow !== undefined) expect(res.headers.allow, shown).toBe(allow);
  const good = await dialect.good(app);
  expect(good.status, "the server still answers a good request").toBe(200);
  return said;
}
