/** Ending sessions: by their user, an administrator, a task, the sweep; and retention. */
import { ValidationError } from "../errors.js";
import { EndReason, SessionStatus } from "../model/session.js";
import { checkFilter } from "../query/check-filter.js";
import type { EndChange, EndOutcome, EndTarget } from "../storage.js";
import { requireId, requireIdList } from "./arguments.js";
import { createBatchSizer, yieldToEventLoop } from "./batch-sizer.js";
import type { LedgerContext } from "./context.js";
import type { SessionEventType } from "./events.js";
import type { SessionLedger, TerminateOutcome } from "./ledger.js";

const MAX_BULK_IDS = 100_000;
/**
 * The sweep's largest batch. Each batch is its own write, sized by the time it keeps the host's
 * thread busy (an embedded store writes on it); 10,000 rows took ~0.25 s on SQLite.
 */
const MAX_SWEEP_BATCH = 10_000;

const REVOKE = { status: SessionStatus.Revoked, endReason: EndReason.Revoked } as const;

const idsOf = (outcome: EndOutcome): TerminateOutcome => ({
  ended: outcome.ended.map((ended) => ended.id),
  alreadyEnded: outcome.alreadyEnded,
  notFound: outcome.notFound,
});

type Ending = Pick<
  SessionLedger,
  | "logout"
  | "terminate"
  | "terminateSessions"
  | "terminateTaskBatch"
  | "terminateUserSessions"
  | "terminateTenantSessions"
  | "terminateMatching"
  | "expireDue"
  | "purge"
>;

export function ending(context: LedgerContext): Ending {
  const { store, clock } = context;

  /** Ends the target's open sessions now and tells the hooks, one event per session ended. */
  async function end(
    tenantId: string,
    target: EndTarget,
    change: Pick<EndChange, "status" | "endReason">,
    type: SessionEventType,
  ): Promise<EndOutcome> {
    const now = clock();
    const outcome = await store.endSessions(tenantId, target, { ...change, endedAt: now, now });
    await context.emit(
      type,
      tenantId,
      outcome.ended.map((ended) => ({ ...ended, at: now, endReason: change.endReason })),
    );
    return outcome;
  }

  return {
    async logout(tenantId, id) {
      const { ended } = await end(
        requireId("tenantId", tenantId),
        { ids: [requireId("id", id)] },
        { status: SessionStatus.LoggedOut, endReason: EndReason.Logout },
        "logged_out",
      );
      return ended.length > 0;
    },

    async terminate(tenantId, id) {
      const target = { ids: [requireId("id", id)] };
      const { ended } = await end(requireId("tenantId", tenantId), target, REVOKE, "revoked");
      return ended.length > 0;
    },

    async terminateSessions(tenantId, ids) {
      const target = { ids: requireIdList("ids", ids, MAX_BULK_IDS) };
      return idsOf(await end(requireId("tenantId", tenantId), target, REVOKE, "revoked"));
    },

    async terminateTaskBatch(tenantId, taskId, batch) {
      const now = clock();
      const outcome = await store.endTaskBatch(
        requireId("tenantId", tenantId),
        requireId("taskId", taskId),
        { ...batch, ids: requireIdList("ids", batch.ids, MAX_BULK_IDS), updatedAt: now },
        { ...REVOKE, endedAt: now, now },
      );
      if (outcome === null) return null;
      await context.emit(
        "revoked",
        tenantId,
        outcome.ended.map((ended) => ({ ...ended, at: now, endReason: EndReason.Revoked })),
      );
      return idsOf(outcome);
    },

    async terminateUserSessions(tenantId, userId, options = {}) {
      const target: EndTarget = { userId: requireId("userId", userId) };
      if (options.exceptSessionId !== undefined) {
        target.exceptId = requireId("exceptSessionId", options.exceptSessionId);
      }
      const { ended } = await end(requireId("tenantId", tenantId), target, REVOKE, "revoked");
      return ended.length;
    },

    async terminateTenantSessions(tenantId) {
      const { ended } = await end(
        requireId("tenantId", tenantId),
        { all: true },
        REVOKE,
        "revoked",
      );
      return ended.length;
    },

    async terminateMatching(tenantId, filter) {
      const checked = checkFilter(filter, context.limits);
      if (checked === null) throw new ValidationError("filter is required", { target: "filter" });
      const target = { filter: checked };
      const { ended } = await end(requireId("tenantId", tenantId), target, REVOKE, "revoked");
      return ended.length;
    },

    async expireDue() {
      const now = clock();
      const sizer = createBatchSizer({ initial: 500, max: MAX_SWEEP_BATCH });
      let total = 0;
      for (;;) {
        const limit = sizer.size;
        const expired = await sizer.measure(limit, async () => {
          const batch = await store.expireDue(now, limit);
          if (context.listening) {
            for (const expired of batch) {
              await context.emit("expired", expired.tenantId, [
                { ...expired, at: expired.endedAt },
              ]);
            }
          }
          return batch;
        });
        total += expired.length;
        if (expired.length < limit) return total;
        await yieldToEventLoop();
      }
    },

    async purge(options) {
      const { endedBefore } = options;
      if (
        typeof endedBefore !== "number" ||
        !Number.isFinite(endedBefore) ||
        endedBefore > clock()
      ) {
        throw new ValidationError("endedBefore must be a time in the past (epoch ms)", {
          target: "endedBefore",
        });
      }
      const tenantId =
        options.tenantId === undefined ? undefined : requireId("tenantId", options.tenantId);
      return store.purgeEnded(endedBefore, tenantId);
    },
  };
}
