/**
 * The answers routes build: JSON in UTF-8, as `res.json` sends it.
 */

const JSON_TYPE = "application/json; charset=utf-8";

/** A JSON answer: the value serialised, with its status and any extra headers. */
export function jsonResponse(
  body: unknown,
  init: { status?: number; headers?: Record<string, string> } = {},
): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { "Content-Type": JSON_TYPE, ...init.headers },
  });
}
