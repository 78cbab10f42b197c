// What the service benchmarks start from: the test instance set up, an in-process Hardhat chain,
// and fresh rollups on it deployed through the operations layer with funded L2 accounts.
import { DEV_POLICY } from "../src/chain/deploy.js";
import { loadCrypto } from "../src/model/crypto.js";
import { L2Key } from "../src/model/keys.js";
import type { Domain } from "../src/model/tx.js";
import { getInstance, TEST_INSTANCE } from "../src/proving/instances.js";
import { setupInstance } from "../src/proving/setup.js";
import { REPO_ROOT } from "../src/util/paths.js";
import { connectRollup, deploy, deposit } from "../src/ops/index.js";
import { benchSettings } from "./settings.js";

export const log = (m: string) => console.error(m);

/**
 * The test instance's setup, the crypto and the chain's first two signers (deployer and sequencer;
 * a user), on the in-process chain at Hardhat's default hardfork or at `hardfork`.
 */
export async function benchWorld(hardfork?: string) {
  const { devPtau } = benchSettings();
  process.chdir(REPO_ROOT);
  const p = getInstance(TEST_INSTANCE);
  const setup = await setupInstance(p.name, { log, devPtau, writeVerifier: false });
  const crypto = await loadCrypto();
  const { network } = await import("hardhat");
  const { ethers } = await network.connect(hardfork ? { override: { hardfork } } : undefined);
  const [signer, user] = await ethers.getSigners();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return { devPtau, p, setup, crypto, ethers, signer: signer!, user: user!, chainId };
}

export type BenchWorld = Awaited<ReturnType<typeof benchWorld>>;

/** A fresh rollup with `accounts` L2 accounts (indices 1..accounts) of `amount` wei each, deposited by the user; `rollup` is connected as the sequencer. */
export async function fundedRollup(w: BenchWorld, accounts: number, amount: bigint) {
  const d = await deploy({
    signer: w.signer,
    chainId: w.chainId,
    rpc: "http://in-process.invalid",
    instance: w.p.name,
    policy: DEV_POLICY,
    devPtau: w.devPtau,
    log,
  });
  const keys = await Promise.all(Array.from({ length: accounts }, () => L2Key.random()));
  const asUser = await connectRollup({ deployment: d, provider: w.ethers.provider, signer: w.user });
  for (const k of keys) await deposit(asUser, { token: 0n, amount, owner: k });
  const { rollup } = await connectRollup({ deployment: d, provider: w.ethers.provider, signer: w.signer });
  const domain: Domain = { chainId: w.chainId, rollupAddress: BigInt(d.rollup) };
  return { d, keys, rollup, domain };
}
