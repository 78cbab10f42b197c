import { Command } from "commander";
import path from "node:path";
import { getInstance } from "../../proving/instances.js";
import { setupInstance } from "../../proving/setup.js";
import { timedLog } from "../services.js";
import { Config, withSettings } from "../config.js";
import { numArg } from "../units.js";

export function proverCommand(): Command {
  const cmd = new Command("prover")
    .description(
      "run a prover worker: proves the sequencer's batches from a BullMQ queue in Redis (each job's setup from the cache, unless --instance or --setup)",
    )
    .requiredOption("--redis <url>", "Redis URL, e.g. redis://10.0.0.5:6379")
    .requiredOption("--queue <name>", "queue name, as given to `zkr sequencer --queue`")
    .option("-i, --instance <name>", "prove with this machine's setup of the instance (the one `zkr setup`/`zkr deploy` use)")
    .option("--setup <dir>", "prove with this setup directory (a copy of the sequencer's)")
    .option("--name <name>", "worker name recorded on its jobs (default host-pid)")
    .option("--concurrency <n>", "jobs proved at once", numArg("concurrency", 1, 64), 1);
  withSettings(cmd, "witness", "prover", "devPtau");
  return cmd.action(
    async (o: { redis: string; queue: string; instance?: string; setup?: string; name?: string; concurrency: number } & Record<string, unknown>) => {
      const cfg = Config.resolve(o, ["witness", "prover", "devPtau"]);
      if (o.instance && o.setup) throw new Error("give --instance or --setup, not both");
      const log = (m: string) => timedLog(`zkr prover: ${m}`);
      // Without either, each job names its setup and the worker finds it in the cache.
      let setup = o.setup && path.resolve(o.setup);
      if (o.instance)
        setup = path.dirname((await setupInstance(getInstance(o.instance).name, { log, writeVerifier: false, devPtau: cfg.devPtau })).manifest.zkey);
      const { runWorker } = await import("../../prover/worker.js");
      const worker = await runWorker({
        redis: o.redis,
        queue: o.queue,
        setup,
        name: o.name,
        concurrency: o.concurrency,
        witness: cfg.witness,
        prover: cfg.prover,
        log,
      });
      // First signal: finish the current job; a second: abandon it (another worker retries it).
      let signals = 0;
      await new Promise<void>((resolve, reject) => {
        const stop = (sig: NodeJS.Signals) => {
          const force = ++signals > 1;
          log(`${sig}: ${force ? "abandoning the current job" : "finishing the current job, then exiting (again to abandon it)"}`);
          worker.close({ force }).then(resolve, reject);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      log("stopped");
    },
  );
}
