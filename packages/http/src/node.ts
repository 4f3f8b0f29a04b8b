/**
 * The bridge of the Node adapters (Express, Fastify, Koa): a Node request as a Web `Request`
 * and its `HandlerContext`, and a Web `Response` written back into Node's response with
 * back-pressure, every `Set-Cookie` and the headers earlier middleware set.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HandlerContext } from "./admin/request.js";

/** What a Node adapter knows about a request besides the Node objects. */
export interface NodeRequestFacts {
  /** The target relative to the mount point (Express's `req.url` under `app.use(prefix)`). */
  target: string;
  /** The prefix the framework removed from `target`. */
  basePath?: string;
  /** The client IP as the framework resolved it. */
  ip: string | null;
  /** The framework's own request object. */
  raw: unknown;
  /** A body the framework parsed already; undefined when the stream is unread. */
  body?: unknown;
}

// How much of a request body may wait unread before the socket is paused.
const WAITING_BYTES = 64 * 1024;

/**
 * The body of a Node request as a Web stream, read only when a route asks for it. Cancelling
 * it (a body refused part-way) stops reading but keeps the socket: the rest is drained, so the
 * error answer still reaches the client.
 */
function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  let stop = () => {};
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const onData = (chunk: Buffer) => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        };
        const onEnd = () => {
          stop();
          controller.close();
        };
        const onError = (error: Error) => {
          stop();
          controller.error(error);
        };
        stop = () => {
          req.off("data", onData);
          req.off("end", onEnd);
          req.off("error", onError);
        };
        req.pause();
        req.on("data", onData);
        req.on("end", onEnd);
        req.on("error", onError);
      },
      pull() {
        req.resume();
      },
      cancel() {
        stop();
        req.resume();
      },
    },
    { highWaterMark: WAITING_BYTES, size: (chunk) => chunk.byteLength },
  );
}

/** The request's headers as Web `Headers`, repeated ones kept in order. */
function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // A header Node accepted but `Headers` cannot hold (a byte it forbids): left out, as a
      // proxy in front would drop it.
    }
  }
  return headers;
}

/**
 * A Node request as a Web `Request` and the context the handler needs beside it. The request
 * is built only for routes the handler claims; its signal aborts when the client goes away
 * before the answer was sent.
 */
export function toWebRequest(
  req: IncomingMessage,
  res: ServerResponse,
  facts: NodeRequestFacts,
): { request: Request; context: HandlerContext } {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const method = req.method ?? "GET";
  const host = req.headers.host;
  const origin = `http://${host !== undefined && /^[\w.:[\]-]+$/.test(host) ? host : "localhost"}`;
  let url: URL;
  try {
    url = new URL(`${facts.basePath ?? ""}${facts.target}`, origin);
  } catch {
    url = new URL("/", origin);
  }
  const parsed = facts.body !== undefined || req.readableEnded;
  const hasBody = method !== "GET" && method !== "HEAD" && !parsed;
  const request = new Request(url, {
    method,
    headers: headersOf(req),
    signal: controller.signal,
    ...(hasBody && { body: bodyOf(req), duplex: "half" }),
  } as RequestInit);
  return {
    request,
    context: {
      target: facts.target,
      basePath: facts.basePath ?? "",
      ip: facts.ip,
      raw: facts.raw,
      signal: controller.signal,
      ...(parsed && { body: facts.body }),
    },
  };
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/**
 * Writes a Web `Response` into Node's response: status, headers (those earlier middleware set
 * stay unless the answer names them too; `Set-Cookie` lines are added to theirs), then the body
 * as fast as the client reads it. A client that leaves cancels the body, so a download stops
 * pulling rows; a body that fails part-way destroys the connection, so the client sees a failed
 * transfer rather than a short file.
 */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) {
    const earlier = res.getHeader("set-cookie");
    const before =
      earlier === undefined ? [] : Array.isArray(earlier) ? earlier : [String(earlier)];
    res.setHeader("set-cookie", [...before, ...cookies]);
  }
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const gone = () => {
    if (!res.writableFinished) void reader.cancel().catch(() => {});
  };
  res.once("close", gone);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) await drainOrClose(res);
    }
    res.end();
  } catch (error) {
    res.destroy(error instanceof Error ? error : undefined);
  } finally {
    res.off("close", gone);
  }
}
