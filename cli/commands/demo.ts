import { Command } from "commander";
import { accountLeaf, type Account } from "../../lib/account.js";
import { loadCrypto } from "../../lib/crypto.js";
import { deployRollup } from "../../lib/deploy.js";
import { L2Key } from "../../lib/keys.js";
import { getInstance, REPO_ROOT, TEST_INSTANCE } from "../../lib/params.js";
import { assertKeyAllowedForChain, buildContracts, setupInstance } from "../../lib/setup.js";
import { L2State } from "../../lib/state.js";
import { signTransfer } from "../../lib/tx.js";
import { Prover } from "../../prover/prover.js";
import { Operator } from "../../sequencer/operator.js";

const ETH = 10n ** 18n;
const fmt = (wei: bigint) => `${Number(wei) / 1e18} ETH`;

/**
 * One command that shows the whole pipeline on an embedded chain: setup, deploy, signed
 * transfers, a Groth16-proven batch accepted by the Rollup contract on L1.
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description("run a proven batch of L2 transfers end to end on an in-process Hardhat chain")
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
      const [deployer] = await ethers.getSigners();
      const chainId = (await ethers.provider.getNetwork()).chainId;
      assertKeyAllowedForChain(setup.manifest, chainId);
      console.log(`   chain id ${chainId}, sequencer ${deployer.address}`);

      step("genesis: three L2 accounts (alice, bob, and the sequencer's fee account)");
      const crypto = await loadCrypto();
      const state = new L2State(crypto, params);
      const [alice, bob, feeKey] = await Promise.all([L2Key.random(), L2Key.random(), L2Key.random()]);
      const owner = BigInt(deployer.address);
      const acct = (k: L2Key, balance: bigint): Account => ({ ax: k.ax, ay: k.ay, owner, tokenId: 0n, balance, nonce: 0n });
      const ia = state.createAccount(acct(alice, 10n * ETH));
      const ib = state.createAccount(acct(bob, 2n * ETH));
      const ifee = state.createAccount(acct(feeKey, 0n));
      for (const [name, i] of [["alice", ia], ["bob", ib], ["fees", ifee]] as const) {
        console.log(`   #${i} ${name.padEnd(5)} ${fmt(state.account(i)!.balance)}  leaf ${accountLeaf(crypto.hash, state.account(i)!).toString().slice(0, 18)}…`);
      }

      step("deploying the Groth16 verifier and the Rollup contract");
      const d = await deployRollup({
        signer: deployer,
        verifierArtifact: setup.manifest.contractName,
        params,
        genesisRoot: state.root,
        sequencer: deployer.address,
      });
      console.log(`   verifier ${d.verifierAddress}, rollup ${d.rollupAddress}, genesis root ${state.root}`);

      step("signing two L2 transfers (EdDSA-Poseidon, bound to chain id and rollup address)");
      const domain = { chainId, rollupAddress: BigInt(d.rollupAddress) };
      const txs = [
        signTransfer(crypto.hash, alice, { from: ia, to: ib, amount: 1_500_000_000_000_000_000n, fee: 10n ** 14n, nonce: 0n }, domain, params),
        signTransfer(crypto.hash, bob, { from: ib, to: ia, amount: 250_000_000_000_000_000n, fee: 10n ** 14n, nonce: 0n }, domain, params),
      ];
      console.log(`   alice → bob 1.5 ETH (fee 0.0001), bob → alice 0.25 ETH (fee 0.0001)`);

      step("building, proving and submitting batch 1");
      const prover = new Prover(setup.manifest);
      try {
        const op = new Operator(state, d.rollup, prover, domain, [ifee]);
        const { batch, proof, receipt } = await op.submit(txs);
        console.log(`   ${batch.txs.length} transfers, ${batch.txData.length} bytes of calldata, input hash ${batch.inputHash}`);
        console.log(`   witness ${(proof.witnessMs / 1000).toFixed(1)} s, proof ${(proof.proveMs / 1000).toFixed(1)} s`);
        console.log(`   submitBatch mined in block ${receipt.blockNumber}, gas ${receipt.gasUsed}`);
        const onChain = await d.rollup.stateRoot();
        console.log(`   root on L1 ${onChain} ${onChain === state.root ? "= local state root ✓" : "≠ LOCAL ROOT ✗"}`);
        if (onChain !== state.root) throw new Error("the root on L1 differs from the local state");
      } finally {
        await prover.close();
      }
      for (const [name, i] of [["alice", ia], ["bob", ib], ["fees", ifee]] as const) {
        console.log(`   #${i} ${name.padEnd(5)} ${fmt(state.account(i)!.balance)}`);
      }
      console.log("\nDone: the batch is final on L1 (validity proof, no challenge window).");
    });
}
