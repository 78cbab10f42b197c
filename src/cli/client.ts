// The CLI's side of L2: the configured sequencer, checked to serve the configured deployment, and
// the wallet's key as the signer of L2 transactions (src/ops/transfer.ts signs and submits).
import { checkSequencer, type L2Signer, SequencerClient } from "../ops/index.js";
import type { Config } from "./config.js";

/** The sequencer of the configured deployment, checked to serve that rollup on that chain. */
export async function sequencerFor(cfg: Config): Promise<SequencerClient> {
  const client = new SequencerClient(cfg.need("sequencer"));
  await checkSequencer(client, cfg.deployment());
  return client;
}

/** The wallet's key as the signer of L2 transactions sent to `client`. */
export async function walletSigner(cfg: Config, client: SequencerClient): Promise<L2Signer> {
  return { client, deployment: cfg.deployment(), key: await cfg.wallet(), keySource: `the one in ${cfg.need("wallet")}` };
}
