/**
 * The benchmark's child processes: one-shot children that report one message over IPC
 * (`runChild`), servers that report their port and serve until stopped (`startServer`, `serve`),
 * and children that talk back and forth with the parent (`startPeer`, `channel`). Nothing here
 * waits forever: a child that does not stop when asked is killed.
 */
import { fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** How long a child asked to stop may take to exit before it is killed. */
const STOP_GRACE_MS = 10_000;
/** How long a server may take to start listening. */
const START_TIMEOUT_MS = 120_000;

/** Runs `script` with `args` and resolves to the first message it sends. */
export function runChild(script, args, { execArgv = [] } = {}) {
  return new Promise((resolve, reject) => {
    let message;
    const child = fork(join(here, script), args.map(String), { execArgv, stdio: "inherit" });
    child.once("message", (received) => {
      message = received;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (message !== undefined) resolve(message);
      else reject(new Error(`${script} exited with ${code} before reporting`));
    });
  });
}

/**
 * Asks a child to stop ("stop" over IPC) and kills it if it has not exited within `graceMs`:
 * a child stuck in synchronous work never reads the request.
 */
export function stopChild(child, graceMs = STOP_GRACE_MS) {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    if (child.connected) child.send("stop");
    else child.kill("SIGKILL");
  });
}

/**
 * Starts a server child; resolves once it reports its port, with the rest of that first
 * message, the child, and `stop()`. A server that does not listen in time is killed.
 */
export function startServer(script, args) {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, script), args.map(String), { stdio: "inherit" });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not listen within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.on("error", reject);
    child.once("exit", (code) =>
      reject(new Error(`${script} exited with ${code} before listening`)),
    );
    child.once("message", (ready) => {
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve({ ...ready, child, stop: () => stopChild(child) });
    });
  });
}

/**
 * In a server child: listens on 127.0.0.1 with an ephemeral port and reports `{port, ...info}`
 * to the parent. On "stop", or when the parent goes away, closes every connection, runs
 * `close` and exits.
 */
export function serve(app, { info = {}, close = () => {}, keepAliveTimeout } = {}) {
  const server = app.listen(0, "127.0.0.1", () =>
    process.send({ ...info, port: server.address().port }),
  );
  if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout;
  exitOnStop(async () => {
    server.close();
    server.closeAllConnections();
    await close();
  });
  return server;
}

/** In a child: runs `close` and exits on "stop" from the parent, or when the parent is gone. */
export function exitOnStop(close = () => {}) {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await close();
    } finally {
      process.exit(0);
    }
  };
  process.on("message", (message) => {
    if (message === "stop") void stop();
  });
  process.once("disconnect", () => void stop());
}

/** Starts a child that talks with the parent: its `channel`, and `stop()`. */
export function startPeer(script, args = []) {
  const child = fork(join(here, script), args.map(String), { stdio: "inherit" });
  return { ...channel(child), child, stop: () => stopChild(child) };
}

/**
 * Requests and answers over an IPC channel, both ways. `ask(type, fields, timeoutMs)` sends
 * `{ask, type, ...fields}` and resolves with what the other side's handler for `type` returned
 * (or rejects with its error, or when no answer comes in time or the other side goes away);
 * `answer(type, handler)` registers this side's handler. `port` is the child in the parent and
 * `process` in a child.
 */
export function channel(port) {
  let next = 0;
  const waiting = new Map();
  const handlers = new Map();
  const reply = (message) => {
    if (port.connected) port.send(message);
  };
  port.on("message", (message) => {
    if (message?.answers !== undefined) {
      waiting.get(message.answers)?.(message);
      return;
    }
    if (message?.ask === undefined) return;
    const handler = handlers.get(message.type);
    Promise.resolve(message)
      .then((received) => {
        if (!handler) throw new Error(`nothing answers '${received.type}'`);
        return handler(received);
      })
      .then(
        (result) => reply({ answers: message.ask, result }),
        (error) => reply({ answers: message.ask, error: String(error?.message ?? error) }),
      );
  });
  port.once("disconnect", () => {
    for (const settle of waiting.values()) settle({ error: "the other process went away" });
  });
  return {
    ask(type, fields = {}, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const id = next++;
        const settle = (message) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (message.error !== undefined) reject(new Error(`${type}: ${message.error}`));
          else resolve(message.result);
        };
        const timer = setTimeout(
          () => settle({ error: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
        waiting.set(id, settle);
        if (port.connected) port.send({ ask: id, type, ...fields });
        else settle({ error: "the other process is gone" });
      });
    },
    answer(type, handler) {
      handlers.set(type, handler);
    },
  };
}
