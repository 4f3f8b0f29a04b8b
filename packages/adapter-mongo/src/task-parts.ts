/**
 * A task's large data in documents of bounded size. MongoDB caps a document at 16 MiB, and a
 * termination task may name 100,000 ids of up to 256 characters (up to 77 MB as UTF-8), so its
 * payload and each batch's outcome are cut into parts that stay well under the cap.
 */
import { randomUUID } from "node:crypto";
import type { TaskOutcome } from "@session-ledger/core/store";
import type { TaskOutcomeDocument, TaskPayloadDocument } from "./documents.js";

/**
 * Characters of payload JSON per document: at most 3 UTF-8 bytes each (a surrogate pair is 2
 * characters and 4 bytes), so 3 MiB at most. A payload this short stays in the task document.
 */
export const PAYLOAD_PART_CHARS = 1 << 20;

/** UTF-8 bytes of ids per outcome part, counting each array entry's BSON overhead. */
const OUTCOME_PART_BYTES = 4 << 20;
const ENTRY_OVERHEAD = 16;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** `text` cut into pieces of at most `size` characters, never inside a surrogate pair. */
export function splitText(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let at = 0; at < text.length; ) {
    let end = Math.min(at + size, text.length);
    // Half a pair is no character in UTF-8: BSON would store U+FFFD for each half.
    if (end < text.length && end - at > 1 && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
    pieces.push(text.slice(at, end));
    at = end;
  }
  return pieces;
}

/** The payload JSON of a task as part documents, in order. */
export function payloadParts(
  tenantId: string,
  taskId: string,
  json: string,
): TaskPayloadDocument[] {
  return splitText(json, PAYLOAD_PART_CHARS).map((text, seq) => ({
    _id: randomUUID(),
    tenantId,
    taskId,
    seq,
    text,
  }));
}

/**
 * A batch's outcome as part documents. Each part holds a run of the batch's entries (its ended
 * ids, then its already-ended ones, then the ones not found), so the parts concatenated in order
 * give each list in order.
 */
export function outcomeParts(
  tenantId: string,
  taskId: string,
  start: number,
  outcome: TaskOutcome,
): TaskOutcomeDocument[] {
  const newPart = (): TaskOutcomeDocument => ({
    _id: randomUUID(),
    tenantId,
    taskId,
    start,
    ended: [],
    alreadyEnded: [],
    notFound: [],
  });
  const parts: TaskOutcomeDocument[] = [];
  let part: TaskOutcomeDocument | null = null;
  let bytes = 0;
  for (const list of ["ended", "alreadyEnded", "notFound"] as const) {
    for (const id of outcome[list]) {
      const size = Buffer.byteLength(id, "utf8") + ENTRY_OVERHEAD;
      if (part === null || bytes + size > OUTCOME_PART_BYTES) {
        part = newPart();
        parts.push(part);
        bytes = 0;
      }
      part[list].push(id);
      bytes += size;
    }
  }
  // An empty batch still records that it ran.
  return parts.length > 0 ? parts : [newPart()];
}

/** The lists of the parts a task names, concatenated in the task's order. */
export function joinOutcome(
  partIds: readonly string[],
  docs: readonly TaskOutcomeDocument[],
): TaskOutcome {
  const byId = new Map(docs.map((doc) => [doc._id, doc]));
  const outcome: TaskOutcome = { ended: [], alreadyEnded: [], notFound: [] };
  for (const id of partIds) {
    const part = byId.get(id);
    if (!part) continue;
    // One id at a time: spreading a part of 100,000 ids into push() would overflow the stack.
    for (const list of ["ended", "alreadyEnded", "notFound"] as const) {
      for (const entry of part[list]) outcome[list].push(entry);
    }
  }
  return outcome;
}
