/**
 * The demo's simulated users at work, so that the data never goes stale: each step writes the
 * sessions the simulation starts since the last one, and moves the open sessions along their
 * plans through the ledger (a request touches them, the user logs out, an administrator
 * revokes). The first step after a start also tops the database up over the time it was not
 * running.
 */
import { ConflictError } from "@session-ledger/core";
import { recordAt } from "@session-ledger/fixtures";

/** No session outlives its absolute lifetime (the default policy's 10 hours). */
const MAX_LIFETIME = 10 * 3_600_000;

/**
 * An open session the activity is moving along its plan.
 * @typedef {object} Followed
 * @property {import("@session-ledger/fixtures").SessionPlan} plan
 * @property {string} id the session's id: the plan's, or a new one after logging in again
 * @property {string} token
 * @property {number} lastRequest when the client last sent a request
 */

/**
 * @typedef {object} Activity
 * @property {() => Promise<number>} catchUp writes the sessions started since the last step,
 *   as they stand now (a fill, on an empty database); returns how many
 * @property {() => Promise<void>} step `catchUp`, then touches, logs out and revokes what the
 *   plans say is due; steps never overlap
 * @property {() => number} nextStep when a followed session's client acts next (a request, a
 *   logout), or Infinity: a step then lets each act at its own moment
 * @property {() => number} following how many open sessions it is moving along
 * @property {() => Promise<void>} stop lets the step under way finish; later steps do nothing
 */

/**
 * @param {object} options
 * @param {import("@session-ledger/core").SessionLedger} options.ledger
 * @param {import("@session-ledger/core").SessionStore} options.store
 * @param {import("@session-ledger/fixtures").LoginSimulation} options.simulation
 * @param {number} options.since every session the simulation started up to this instant is
 *   stored already (the newest stored session's start; long ago for an empty database)
 * @param {(line: string) => void} [options.log] progress of a long catch-up
 * @returns {Activity}
 */
export function createActivity({ ledger, store, simulation, since, log = () => {} }) {
  /** @type {Map<string, Followed>} */
  const following = new Map();
  let horizon = since;
  // Sessions started before `since` and still in use were written by an earlier run: followed
  // from the first step on, not written again.
  let resumed = false;

  async function catchUp() {
    const now = ledger.now();
    if (now <= horizon) return 0;
    const from = resumed ? horizon + 1 : Math.max(0, horizon + 1 - MAX_LIFETIME);
    resumed = true;
    let written = 0;
    for (const plan of simulation.plansBetween(from, now + 1)) {
      const record = recordAt(plan, now);
      if (plan.start.createdAt > horizon) {
        try {
          await store.insertSession(record);
        } catch (error) {
          // Written already, by a run stopped between its write and its step's end.
          if (!(error instanceof ConflictError)) throw error;
        }
        if (++written % 20_000 === 0) log(`  wrote ${written} sessions…`);
      }
      if (now < plan.activeUntil) {
        const { id } = plan.start;
        following.set(id, { plan, id, token: plan.token, lastRequest: record.lastActivityAt });
      }
    }
    horizon = now;
    return written;
  }

  /**
   * What the client of one followed session does now.
   * @param {Followed} session
   * @param {number} now
   */
  async function move(session, now) {
    const { plan } = session;
    const tenant = plan.start.tenantId;
    if (now >= plan.activeUntil) {
      following.delete(session.id);
      if (plan.ending === "logout") await ledger.logout(tenant, session.id);
      else if (plan.ending === "revoke") await ledger.terminate(tenant, session.id);
      // Otherwise nobody ends it: it lapses, and the sweep marks it EXPIRED.
      return;
    }
    if (now - session.lastRequest < plan.touchEvery) return;
    session.lastRequest = now;
    if (await ledger.validate(tenant, session.token)) return;
    following.delete(session.id);
    // Lapsed while the demo was stopped or asleep: the user signs in again. Ended by an
    // administrator: they stay out.
    if ((await ledger.get(tenant, session.id))?.status !== "EXPIRED") return;
    const { start } = plan;
    const { session: again, token } = await ledger.create({
      tenantId: tenant,
      user: start.user,
      sessionIdentifier:
        start.sessionIdentifier && `${start.sessionIdentifier}-${now.toString(36)}`,
      clientType: start.clientType,
      accessType: start.accessType,
      clientIp: start.clientIp,
      serverIp: start.serverIp,
      userAgent: start.userAgent,
      clientInfo: start.clientInfo,
      city: start.city,
      country: start.country,
      licenseEdition: start.licenseEdition,
    });
    following.set(again.id, { plan, id: again.id, token, lastRequest: now });
  }

  async function step() {
    await catchUp();
    const now = ledger.now();
    for (const session of [...following.values()]) await move(session, now);
  }

  let last = Promise.resolve();
  let stopped = false;
  return {
    catchUp,
    step() {
      const run = last.then(() => (stopped ? undefined : step()));
      last = run.catch(() => {});
      return run;
    },
    nextStep() {
      let next = Number.POSITIVE_INFINITY;
      for (const { plan, lastRequest } of following.values()) {
        next = Math.min(next, lastRequest + plan.touchEvery, plan.activeUntil);
      }
      return next;
    },
    following: () => following.size,
    stop() {
      stopped = true;
      return last;
    },
  };
}
