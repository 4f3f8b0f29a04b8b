/**
 * A closed loop, as the host-latency clients run one: the next step starts when the last one
 * has finished, from `start()` until `finish()` (which waits for the step in hand). `pause()`
 * resolves once the step in hand is done and holds the next until `resume()`. A step that
 * returns false ends the loop.
 */
export function closedLoop(step) {
  let finishing = false;
  let current = Promise.resolve();
  let running = Promise.resolve();
  let held = null;

  async function loop() {
    while (!finishing) {
      if (held) await held.promise;
      if (finishing) return;
      current = step();
      if ((await current) === false) return;
    }
  }

  return {
    start() {
      running = loop();
    },
    async pause() {
      let release;
      const promise = new Promise((resolve) => {
        release = resolve;
      });
      held ??= { promise, release };
      await current;
    },
    resume() {
      held?.release();
      held = null;
    },
    async finish() {
      finishing = true;
      this.resume();
      await running;
    },
  };
}
