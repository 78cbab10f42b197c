import { Command } from "commander";
import { loadCrypto } from "../../model/crypto.js";
import { deployRollup, DEV_POLICY } from "../../chain/deploy.js";
import { L2Key } from "../../model/keys.js";
import { rebuildFromL1, verifyBatchFromL1 } from "../../chain/rebuild.js";
import { getInstance, TEST_INSTANCE } from "../../proving/instances.js";
import { REPO_ROOT } from "../../util/paths.js";
import { buildContracts, setupInstance } from "../../proving/setup.js";
import { assertKeyAllowedForChain } from "../../proving/manifest.js";
import { L2State } from "../../model/state.js";
import { signTransfer, type SignedTransfer } from "../../model/tx.js";
import { LocalProofQueue } from "../../prover/queue.js";
import { type OneShotContext, submitNextBatch } from "../../sequencer/oneshot.js";
import { setupVerifier } from "../../proving/verifier.js";

const ETH = 10n ** 18n;
const fmt = (wei: bigint) => `${Number(wei) / 1e18} ETH`;

/**
 * One command that shows the whole life of funds on an embedded chain: setup, deploy, L1
 * deposits, signed L2 transfers, an exit, all in Groth16-proven batches accepted by the Rollup
 * contract, the withdrawal on L1, and the state rebuilt and a proof re-checked from L1 alone.
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description("deposit → transfer → exit → withdraw with proven batches on an in-process Hardhat chain")
    .option("-i, --instance <name>", "circuit instance", TEST_INSTANCE)
    .action(async (o: { instance: string }) => {
      const params = getInstance(o.instance);
      const step = (m: string) => console.log(`\n== ${m}`);

      step(`setup of circuit instance ${params.name} (${params.description})`);
      const setup = await setupInstance(params.name, { log: (m) => console.log(`   ${m}`) });
      if (setup.verifierChanged) await buildContracts();
      console.log(`   ${setup.manifest.constraints} constraints, key ${setup.cached ? "from cache" : "generated"}`);

      step("starting an in-process Hardhat chain");
      process.chdir(REPO_ROOT); // Hardhat finds its config from the working directory
      const { network } = await import("hardhat");
      const { ethers } = await network.connect();
      const [sequencer, alice, bob] = await ethers.getSigners();
      const chainId = (await ethers.provider.getNetwork()).chainId;
      assertKeyAllowedForChain(setup.manifest, chainId);

      step("deploying Poseidon, the Groth16 verifier and the Rollup contract");
      const d = await deployRollup({ signer: sequencer, ...setupVerifier(setup.manifest), params, sequencer: sequencer.address, ...DEV_POLICY });
      const fee = d.policy.l1OpFee;
      console.log(`   rollup ${d.rollupAddress} (verifier ${d.verifierAddress}), chain ${chainId}`);

      const crypto = await loadCrypto();
      const state = new L2State(crypto, params);
      const domain = { chainId, rollupAddress: BigInt(d.rollupAddress) };
      const proofs = new LocalProofQueue(setup.manifest);
      const op: OneShotContext = { state, rollup: d.rollup.connect(sequencer), proofs, domain, feeIdx: [1n], fromBlock: d.blockNumber };
      const prove = async (what: string, txs: SignedTransfer[] = []) => {
        const r = await submitNextBatch(op, txs);
        console.log(
          `   batch ${await d.rollup.batchNumber()}: ${what}; proof ${(r.proof.proveMs / 1000).toFixed(1)} s, submitBatch ${r.receipt.gasUsed} gas, root on L1 = local root ${(await d.rollup.stateRoot()) === state.root ? "✓" : "✗"}`,
        );
        return r;
      };
      try {
        step("L1 deposits create three L2 accounts (sequencer fees #1, alice #2, bob #3)");
        const [kf, ka, kb] = await Promise.all([L2Key.random(), L2Key.random(), L2Key.random()]);
        // Each L1 operation pays the fee on top of its deposit; the sequencer earns it with the batch.
        await (await d.rollup.connect(sequencer).depositETH(kf.ax, kf.ay, { value: ETH / 100n + fee })).wait();
        await (await d.rollup.connect(alice).depositETH(ka.ax, ka.ay, { value: 10n * ETH + fee })).wait();
        await (await d.rollup.connect(bob).depositETH(kb.ax, kb.ay, { value: 2n * ETH + fee })).wait();
        await prove("2 deposits");
        await prove("1 deposit");
        console.log(`   the sequencer earned ${fmt(await d.rollup.claimable(sequencer.address, 0))} of L1-operation fees (${fmt(fee)} per deposit), claimable on L1`);

        step("two signed L2 transfers (Schnorr-128 on BabyJubJub, bound to chain id and rollup address)");
        await prove("alice → bob 1.5 ETH, bob → alice 0.25 ETH (fee 0.0001 each)", [
          signTransfer(crypto.hash, ka, { from: 2n, to: 3n, amount: 15n * ETH / 10n, fee: 10n ** 14n, nonce: 0n }, domain, params),
          signTransfer(crypto.hash, kb, { from: 3n, to: 2n, amount: ETH / 4n, fee: 10n ** 14n, nonce: 0n }, domain, params),
        ]);

        step("bob exits 1 ETH to L1 and withdraws it");
        await prove("bob's exit", [signTransfer(crypto.hash, kb, { from: 3n, to: 0n, amount: ETH, fee: 0n, nonce: 1n }, domain, params)]);
        const before = await ethers.provider.getBalance(bob.address);
        const rc = (await (await d.rollup.connect(bob).withdraw(0)).wait())!;
        const got = (await ethers.provider.getBalance(bob.address)) - before + rc.gasUsed * rc.gasPrice;
        console.log(`   bob received ${fmt(got)} on L1`);
        for (const [name, i] of [["fees", 1n], ["alice", 2n], ["bob", 3n]] as const) console.log(`   #${i} ${name.padEnd(5)} ${fmt(state.account(i)!.balance)} on L2`);

        step("anyone can rebuild the state and re-check every proof from L1 alone");
        const rebuilt = await rebuildFromL1(crypto, params, d.rollup, d.blockNumber);
        console.log(`   rebuilt ${rebuilt.state.size} accounts from ${rebuilt.batches.length} batches: root ${rebuilt.state.root === state.root ? "matches" : "DIFFERS"}`);
        for (const b of rebuilt.batches) {
          const v = await verifyBatchFromL1(params, d.rollup, d.blockNumber, b.number, setup.manifest.vkey);
          console.log(`   batch ${b.number}: proof ${v.proofValid ? "valid" : "INVALID"}`);
        }
      } finally {
        await proofs.close();
      }
      console.log("\nDone: every batch was final on L1 as soon as it was mined (validity proofs, no challenge window).");
    });
}
