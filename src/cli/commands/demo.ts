import { Command } from "commander";
import { DEV_POLICY } from "../../chain/deploy.js";
import { rebuildFromL1, verifyBatchFromL1 } from "../../chain/rebuild.js";
import { loadCrypto } from "../../model/crypto.js";
import { L2Key } from "../../model/keys.js";
import { L2State } from "../../model/state.js";
import { signTransfer } from "../../model/tx.js";
import { claim, connectRollup, deploy, deploymentSetup, deposit, gasCost } from "../../ops/index.js";
import { getInstance, TEST_INSTANCE } from "../../proving/instances.js";
import { Prover } from "../../proving/prover.js";
import { setupInstance } from "../../proving/setup.js";
import { LocalProofQueue } from "../../prover/queue.js";
import { type OneShotContext, submitNextBatch } from "../../sequencer/oneshot.js";
import type { SignedTransfer } from "../../model/tx.js";
import { REPO_ROOT } from "../../util/paths.js";
import { Config, withSettings } from "../config.js";

const ETH = 10n ** 18n;
const fmt = (wei: bigint) => `${Number(wei) / 1e18} ETH`;

/**
 * One command that shows the whole life of funds on an embedded chain: setup, deploy, L1
 * deposits, signed L2 transfers, an exit, all in Groth16-proven batches accepted by the Rollup
 * contract, the withdrawal on L1, and the state rebuilt and a proof re-checked from L1 alone.
 */
export function demoCommand(): Command {
  const cmd = new Command("demo")
    .description("deposit → transfer → exit → withdraw with proven batches on an in-process Hardhat chain")
    .option("-i, --instance <name>", "circuit instance", TEST_INSTANCE);
  withSettings(cmd, "witness", "prover", "devPtau");
  return cmd.action(async (o: { instance: string } & Record<string, unknown>) => {
    const cfg = Config.resolve(o, ["witness", "prover", "devPtau"]);
    const params = getInstance(o.instance);
    const step = (m: string) => console.log(`\n== ${m}`);
    const detail = (m: string) => console.log(`   ${m}`);

    step(`setup of circuit instance ${params.name} (${params.description})`);
    const setup = await setupInstance(params.name, { devPtau: cfg.devPtau, writeVerifier: false, log: detail });
    detail(`${setup.manifest.constraints} constraints, key ${setup.cached ? "from cache" : "generated"}`);

    step("starting an in-process Hardhat chain");
    process.chdir(REPO_ROOT); // Hardhat finds its config from the working directory
    const { network } = await import("hardhat");
    const { ethers } = await network.connect();
    const [sequencer, alice, bob] = await ethers.getSigners();
    const chainId = (await ethers.provider.getNetwork()).chainId;

    step("deploying Poseidon, the Groth16 verifier and the Rollup contract");
    // The deployment record is not written anywhere: its chain lives in this process.
    const d = await deploy({
      signer: sequencer,
      chainId,
      rpc: "http://in-process.invalid",
      instance: params.name,
      policy: DEV_POLICY,
      devPtau: cfg.devPtau,
      log: detail,
    });
    const as = (signer?: typeof sequencer) => connectRollup({ deployment: d, provider: ethers.provider, signer });
    const l1 = await as(sequencer);
    const fee = BigInt(d.l1OpFee);
    detail(`rollup ${d.rollup} (verifier ${d.verifier}), chain ${chainId}`);

    const manifest = await deploymentSetup(d);
    const crypto = await loadCrypto();
    const state = new L2State(crypto, params);
    const domain = { chainId, rollupAddress: BigInt(d.rollup) };
    const prover = new Prover(manifest, { witness: cfg.witness, prover: cfg.prover });
    const proofs = new LocalProofQueue(manifest, { prover });
    const op: OneShotContext = { state, rollup: l1.rollup, proofs, domain, feeIdx: [1n], fromBlock: d.deployBlock };
    const prove = async (what: string, txs: SignedTransfer[] = []) => {
      const r = await submitNextBatch(op, txs);
      detail(
        `batch ${await l1.rollup.batchNumber()}: ${what}; proof ${(r.proof.proveMs / 1000).toFixed(1)} s (${r.proof.proverBackend ?? "snarkjs"}), submitBatch ${r.receipt.gasUsed} gas, root on L1 = local root ${(await l1.rollup.stateRoot()) === state.root ? "✓" : "✗"}`,
      );
      return r;
    };
    try {
      step("L1 deposits create three L2 accounts (sequencer fees #1, alice #2, bob #3)");
      const [kf, ka, kb] = await Promise.all([L2Key.random(), L2Key.random(), L2Key.random()]);
      // Each L1 operation pays the fee on top of its deposit; the sequencer earns it with the batch.
      await deposit(l1, { token: 0n, amount: ETH / 100n, owner: kf });
      await deposit(await as(alice), { token: 0n, amount: 10n * ETH, owner: ka });
      await deposit(await as(bob), { token: 0n, amount: 2n * ETH, owner: kb });
      await prove("2 deposits");
      await prove("1 deposit");
      detail(`the sequencer earned ${fmt(await l1.rollup.claimable(sequencer.address, 0))} of L1-operation fees (${fmt(fee)} per deposit), claimable on L1`);

      step("two signed L2 transfers (Schnorr-128 on BabyJubJub, bound to chain id and rollup address)");
      await prove("alice → bob 1.5 ETH, bob → alice 0.25 ETH (fee 0.0001 each)", [
        signTransfer(crypto.hash, ka, { from: 2n, to: 3n, amount: (15n * ETH) / 10n, fee: 10n ** 14n, nonce: 0n }, domain, params),
        signTransfer(crypto.hash, kb, { from: 3n, to: 2n, amount: ETH / 4n, fee: 10n ** 14n, nonce: 0n }, domain, params),
      ]);

      step("bob exits 1 ETH to L1 and withdraws it");
      await prove("bob's exit", [signTransfer(crypto.hash, kb, { from: 3n, to: 0n, amount: ETH, fee: 0n, nonce: 1n }, domain, params)]);
      const before = await ethers.provider.getBalance(bob.address);
      const { receipt } = await claim(await as(bob), 0n);
      const got = (await ethers.provider.getBalance(bob.address)) - before + gasCost(receipt);
      detail(`bob received ${fmt(got)} on L1`);
      for (const [name, i] of [
        ["fees", 1n],
        ["alice", 2n],
        ["bob", 3n],
      ] as const)
        detail(`#${i} ${name.padEnd(5)} ${fmt(state.account(i)!.balance)} on L2`);

      step("anyone can rebuild the state and re-check every proof from L1 alone");
      const reader = await as();
      const rebuilt = await rebuildFromL1(crypto, params, reader.rollup, d.deployBlock);
      detail(
        `rebuilt ${rebuilt.state.size} accounts from ${rebuilt.batches.length} batches: root ${rebuilt.state.root === state.root ? "matches" : "DIFFERS"}`,
      );
      for (const b of rebuilt.batches) {
        const v = await verifyBatchFromL1(params, reader.rollup, d.deployBlock, b.number, manifest.vkey);
        detail(`batch ${b.number}: proof ${v.proofValid ? "valid" : "INVALID"}`);
      }
    } finally {
      await proofs.close(); // closes its prover
    }
    console.log("\nDone: every batch was final on L1 as soon as it was mined (validity proofs, no challenge window).");
  });
}
