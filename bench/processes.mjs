/** The benchmark's child processes: each reports one message over IPC. */
import { fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

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

/** Starts a server child; resolves once it reports its port, with a way to stop it. */
export function startServer(script, args) {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, script), args.map(String), { stdio: "inherit" });
    child.on("error", reject);
    child.once("exit", (code) =>
      reject(new Error(`${script} exited with ${code} before listening`)),
    );
    child.once("message", ({ port }) => {
      child.removeAllListeners("exit");
      const stop = () =>
        new Promise((done) => {
          child.once("exit", done);
          child.send("stop");
        });
      resolve({ port, stop });
    });
  });
}
