/**
 * `@session-ledger/console/express`: the console handler as Express (or plain Node `http`)
 * middleware. It hands a request to the handler as a Web `Request` and writes its `Response`;
 * a null answer (a path outside the console) goes on to `next()`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ConsoleHandlerOptions, createConsoleHandler } from "./handler.js";

/** Express's request adds `originalUrl`, the URL before any mount point stripped it. */
type NodeRequest = IncomingMessage & { originalUrl?: string };
/** A middleware Express and `connect`-style servers accept. */
export type ConsoleMiddleware = (
  req: NodeRequest,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * The console as middleware. Mount it at the application (not under `app.use("/admin", …)`):
 * it matches `basePath` itself against the request's full path.
 *
 * ```ts
 * app.use(consoleMiddleware({ basePath: "/admin", auth: "cookie" }));
 * ```
 */
export function consoleMiddleware(options: ConsoleHandlerOptions): ConsoleMiddleware {
  const handle = createConsoleHandler(options);
  return (req, res, next) => {
    const method = req.method ?? "GET";
    // The page answers GET and HEAD (and a 405 otherwise) and reads no body.
    const headers = new Headers();
    for (const name of ["if-none-match", "accept", "accept-encoding"]) {
      const value = req.headers[name];
      if (typeof value === "string") headers.set(name, value);
    }
    let request: Request;
    try {
      const url = new URL(req.originalUrl ?? req.url ?? "/", "http://console.invalid");
      request = new Request(url, { method, headers });
    } catch {
      // A URL or method a Web Request cannot hold (CONNECT, TRACE) is none of the console's.
      next();
      return;
    }
    handle(request).then(async (response) => {
      if (response === null) {
        next();
        return;
      }
      res.statusCode = response.status;
      for (const [name, value] of response.headers) res.setHeader(name, value);
      res.end(
        method === "HEAD" || response.body === null
          ? undefined
          : Buffer.from(await response.arrayBuffer()),
      );
    }, next);
  };
}
