import { Command } from "commander";
import { holdCurve } from "../../proving/curve.js";
import { type Alert, deploymentFallbackSetup, deploymentSetup, type PollReport, Watchtower, WebhookSink } from "../../ops/index.js";
import { type MetricsServer, serveMetrics } from "../../util/metrics.js";
import { Config, httpUrl, type Setting, withSettings } from "../config.js";
import { withRollup } from "../connect.js";
import { timedLog, untilSignal } from "../services.js";
import { intArg, numArg } from "../units.js";

const SETTINGS: Setting[] = ["deployment", "rpc", "maxLogRange", "witness", "prover"];

/** `--once`'s exit code while an alert is active (1 is an error, as for every command). */
export const ALERTS_ACTIVE_EXIT_CODE = 2;

type Opts = {
  interval: number;
  forcedThreshold?: bigint;
  silenceThreshold?: bigint;
  reorgWindow: number;
  webhook?: string;
  metricsPort?: number;
  metricsHost: string;
  act?: boolean;
  maxBatches: number;
  setup?: string;
  fallbackSetup?: string;
  once?: boolean;
  json?: boolean;
};

export function watchCommand(): Command {
  const cmd = new Command("watch")
    .description(
      "the watchtower: follow the rollup on L1, re-verify every batch as it lands (as zkr verify does) on a state rebuilt from L1, and report " +
        "(a line on stdout, --webhook, --metrics-port) invalid batches, L1 operations waiting past --forced-threshold (censorship, forced exits), " +
        "a sequencer silent past --silence-threshold, watched batches reorganised out of L1 and a rebuilt root other than the rollup's, " +
        "once when each starts and once when it ends; with --act it runs the fallback, or activates escape mode, when the rollup allows it",
    )
    .option("--interval <seconds>", "poll L1 every this many seconds", numArg("interval", 1, 86_400), 12)
    .option(
      "--forced-threshold <seconds>",
      "report an L1 operation (deposit, forced exit) still unprocessed this long after it was queued (default: the rollup's L1 grace)",
      intArg("forced-operation threshold"),
    )
    .option(
      "--silence-threshold <seconds>",
      "report the sequencer silent after this long without a batch of its own (default: the rollup's fallback delay)",
      intArg("silence threshold"),
    )
    .option(
      "--reorg-window <blocks>",
      "how many blocks back the watched batches' blocks are re-checked for reorganisations",
      numArg("reorg window", 1, 1_000_000),
      128,
    )
    .option("--webhook <url>", "POST every alert (raised and cleared) as JSON to this http(s) URL; a failure is logged, never fatal")
    .option("--metrics-port <port>", "serve Prometheus metrics at http://<metrics-host>:<port>/metrics", numArg("metrics port", 0, 65_535))
    .option("--metrics-host <address>", "address the metrics server listens on", "127.0.0.1")
    .option(
      "--act",
      "act when the rollup allows it: run the fallback (prove and submit fallback batches, with the L1 key from ZKR_KEY) once it is open and L1 operations wait, " +
        "and activate escape mode once the rollup allows that (it ends the rollup for everyone, so the fallback comes first)",
    )
    .option("--max-batches <n>", "with --act: at most this many fallback batches per poll", numArg("batch count", 1, 1000), 4)
    .option("--setup <dir>", "setup directory holding the deployment's verification key (default: the cache)")
    .option("--fallback-setup <dir>", "setup directory of the deployment's fallback verifier (default: the cache)")
    .option("--once", `poll once and exit: exit code 0 if no alert is active, ${ALERTS_ACTIVE_EXIT_CODE} if one is, 1 on an error`)
    .option("--json", "print each alert (and with --once the summary) as one line of JSON");
  withSettings(cmd, ...SETTINGS, "key");
  return cmd.action(async (o: Opts & Record<string, unknown>) => {
    const cfg = Config.resolve(o, o.act ? [...SETTINGS, "key"] : SETTINGS);
    if (o.webhook !== undefined) httpUrl(o.webhook, "--webhook"); // checked, and posted to as given
    const webhook = o.webhook;
    const d = cfg.deployment();
    const [main, fallback] = await Promise.all([deploymentSetup(d, o.setup), deploymentFallbackSetup(d, o.fallbackSetup)]);
    const release = holdCurve(); // snarkjs's worker threads, released when done
    let metricsServer: MetricsServer | undefined;
    try {
      await withRollup(cfg, { signer: o.act }, async (l1) => {
        const forcedThreshold = Number(o.forcedThreshold ?? (await l1.rollup.l1Grace()));
        const silenceThreshold = Number(o.silenceThreshold ?? BigInt(d.fallbackDelay));
        const sink = webhook ? new WebhookSink(webhook, timedLog) : undefined;
        const onAlert = (a: Alert) => {
          console.log(o.json ? JSON.stringify({ type: "alert", ...a }) : alertLine(a));
          sink?.send(a);
        };
        const w = await Watchtower.create(l1, {
          vkey: main.vkey,
          fallbackVkey: fallback.vkey,
          forcedThreshold,
          silenceThreshold,
          reorgWindow: o.reorgWindow,
          act: o.act ? { fallbackSetup: fallback, maxBatches: o.maxBatches, prover: { witness: cfg.witness, prover: cfg.prover } } : undefined,
          onAlert,
          log: timedLog,
        });
        if (o.metricsPort !== undefined) metricsServer = await serveMetrics(w.metrics, o.metricsPort, o.metricsHost);
        timedLog(
          `watching rollup ${d.rollup} on chain ${d.chainId} from block ${d.deployBlock}: forced-operation threshold ${forcedThreshold} s, ` +
            `silence threshold ${silenceThreshold} s${o.act ? `, acting with ${l1.signerAddress}` : ""}` +
            `${metricsServer ? `, metrics on ${metricsServer.url}` : ""}${webhook ? `, alerts to ${webhook}` : ""}`,
        );
        try {
          if (o.once) {
            let r = await w.poll();
            // After acting, once more (without acting) so that the exit code tells what is left.
            if (r.acted.length) r = await w.poll({ act: false });
            console.log(o.json ? JSON.stringify({ type: "summary", ...summaryJSON(r) }) : summaryLine(r));
            if (r.active.length) process.exitCode = ALERTS_ACTIVE_EXIT_CODE;
          } else {
            await runUntilSignal(w, o.interval);
          }
        } finally {
          await sink?.flush();
        }
      });
    } finally {
      await metricsServer?.close();
      await release();
    }
  });
}

/** Polls every `interval` seconds until SIGINT or SIGTERM; a failed poll is logged and tried again at the next one. */
async function runUntilSignal(w: Watchtower, interval: number): Promise<void> {
  let stopping = false;
  let wake: (() => void) | undefined;
  const stopped = untilSignal(timedLog).then(() => {
    stopping = true;
    wake?.();
  });
  let last = "";
  while (!stopping) {
    try {
      const r = await w.poll();
      // The state after a poll when it changed (not the block and the ages, which change every poll).
      const gist = JSON.stringify([r.batches, r.root === r.onChainRoot, r.waiting, r.escapeMode, r.active.map((a) => a.key)]);
      if (gist !== last || r.verified > 0) timedLog(summaryLine(r));
      last = gist;
    } catch (e) {
      timedLog(`poll failed (trying again in ${interval} s): ${((e as Error).message ?? String(e)).split("\n")[0]}`);
    }
    if (stopping) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, interval * 1000);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  }
  await stopped;
}

function alertLine(a: Alert): string {
  return `${new Date().toISOString()} ${a.status === "raised" ? "ALERT" : "alert"} ${a.kind} ${a.status}: ${a.message}`;
}

function summaryJSON(r: PollReport) {
  return { ...r, alerts: r.alerts.length };
}

function summaryLine(r: PollReport): string {
  const waiting = r.waiting ? `${r.waiting} L1 operation(s) waiting (oldest ${r.oldestWaitingAge} s)` : "no L1 operation waiting";
  const active = r.active.length ? `${r.active.length} alert(s) active: ${[...new Set(r.active.map((a) => a.kind))].join(", ")}` : "no alert active";
  return (
    `block ${r.block}, ${r.batches} batch(es) followed (${r.verified} verified now), root ${r.root === r.onChainRoot ? "matches the rollup's" : "DIFFERS from the rollup's"}; ` +
    `${waiting}; sequencer's last batch ${r.sequencerSilentFor} s ago${r.escapeMode ? "; ESCAPE MODE" : ""}; ${active}`
  );
}
