// What the long-running commands (`sequencer`, `devnet`, `prover`) share: log lines with the time
// on stderr, and waiting for Ctrl-C. The services themselves are in src/ops (startSequencer,
// startDevnet).
import type { Log } from "../util/log.js";

/** A log line on stderr with the time, for long-running commands. */
export const timedLog: Log = (m) => console.error(`${new Date().toISOString()} ${m}`);

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
export function untilSignal(log: Log): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (sig: NodeJS.Signals) => {
      log(`${sig}: shutting down (again to force)`);
      process.off("SIGINT", first);
      process.off("SIGTERM", first);
      const force = () => {
        log("forced exit");
        process.exit(130);
      };
      process.once("SIGINT", force);
      process.once("SIGTERM", force);
      resolve(sig);
    };
    process.on("SIGINT", first);
    process.on("SIGTERM", first);
  });
}
