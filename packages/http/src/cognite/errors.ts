/**
 * The Cognite auth API's error body, `{"code": <HTTP status>, "message": "…"}`: the status
 * comes from the one error table (`describeError`), so every dialect answers alike.
 */
import type { ErrorDescription } from "../admin/errors.js";

/** The body of every Cognite error response. */
export interface CogniteErrorBody {
  /** The HTTP status, repeated in the body as Cognite does. */
  code: number;
  message: string;
}

/** Renders an error description as Cognite's error body. */
export function cogniteErrorBody(error: ErrorDescription): CogniteErrorBody {
  return { code: error.status, message: error.message };
}
