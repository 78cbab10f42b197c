// zkr benchmark: constraints per transfer, proving time per batch and per transfer, and L1
// gas per batch and per transfer, measured with real proofs on the in-process Hardhat chain.
//
//   bin/bench [--prove test_d4_b2,bench_d12_b1] [--compile prod_d12_b32] [--runs 2]
//
// Prints a Markdown table (and the machine it ran on) for the README.
import os from "node:os";
import { parseArgs } from "node:util";
import { buildBatch } from "../lib/batch.js";
import { toHex } from "../lib/bytes.js";
import { compileCircuit } from "../lib/circom.js";
import { loadCrypto } from "../lib/crypto.js";
import { deployRollup } from "../lib/deploy.js";
import { L2Key } from "../lib/keys.js";
import { getInstance, REPO_ROOT } from "../lib/params.js";
import { batchMainSource, buildContracts, readR1csInfo, setupInstance } from "../lib/setup.js";
import { L2State } from "../lib/state.js";
import { signTransfer } from "../lib/tx.js";
import { Prover, toSolidityProof } from "../prover/prover.js";

const { values } = parseArgs({
  options: {
    prove: { type: "string", default: "test_d4_b2,bench_d12_b1" },
    compile: { type: "string", default: "prod_d12_b32" },
    runs: { type: "string", default: "2" },
  },
});
const runs = Number(values.runs);
const list = (s: string | undefined) => (s ? s.split(",").filter(Boolean) : []);

interface Row {
  instance: string;
  depth: number;
  batchSize: number;
  constraints: number;
  proveS?: number;
  witnessS?: number;
  gasEmpty?: bigint;
  gasFull?: bigint;
}

const rows: Row[] = [];
const log = (m: string) => console.error(m);

for (const name of list(values.compile)) {
  const p = getInstance(name);
  log(`compiling ${name} …`);
  const c = await compileCircuit(name, batchMainSource(p));
  rows.push({ instance: name, depth: p.depth, batchSize: p.batchSize, constraints: (await readR1csInfo(c.r1cs)).nConstraints });
}

const proving = list(values.prove);
if (proving.length) {
  process.chdir(REPO_ROOT);
  const crypto = await loadCrypto();
  const setups = [];
  for (const name of proving) {
    log(`setup of ${name} (cached after the first run) …`);
    setups.push(await setupInstance(name, { log }));
  }
  await buildContracts();
  const { network } = await import("hardhat");
  const { ethers } = await network.connect();
  const [signer] = await ethers.getSigners();

  for (const setup of setups) {
    const p = getInstance(setup.manifest.label);
    const prover = new Prover(setup.manifest);
    try {
      // Genesis: one sender per slot plus one receiver and one fee account.
      const keys = await Promise.all(Array.from({ length: p.batchSize + 1 }, () => L2Key.random()));
      const state = new L2State(crypto, p);
      for (const k of keys) state.createAccount({ ax: k.ax, ay: k.ay, owner: 1n, tokenId: 0n, balance: 10n ** 24n, nonce: 0n });
      const feeIdx = state.createAccount({ ax: keys[0].ax, ay: keys[0].ay, owner: 1n, tokenId: 0n, balance: 0n, nonce: 0n });
      const d = await deployRollup({ signer, verifierArtifact: setup.manifest.contractName, params: p, genesisRoot: state.root, sequencer: signer.address });
      const domain = { chainId: d.chainId, rollupAddress: BigInt(d.rollupAddress) };

      const submit = async (k: number, nonce: bigint) => {
        const txs = Array.from({ length: k }, (_, i) =>
          signTransfer(crypto.hash, keys[i], { from: BigInt(i + 1), to: BigInt(p.batchSize + 1), amount: 10n ** 18n, fee: 10n ** 14n, nonce }, domain, p),
        );
        const batch = buildBatch(state, txs, { domain, batchNumber: (await d.rollup.batchNumber()) + 1n, feeIdx: [feeIdx] });
        const proof = await prover.prove(batch.circuitInput);
        const receipt = await (await d.rollup.submitBatch(batch.newRoot, toHex(batch.feeIdxData), toHex(batch.txData), toSolidityProof(proof.proof))).wait();
        return { proof, gas: receipt!.gasUsed };
      };

      log(`${p.name}: proving an empty batch and ${runs} full batches …`);
      const empty = await submit(0, 0n);
      let proveMs = 0;
      let witnessMs = 0;
      let gasFull = 0n;
      for (let r = 0; r < runs; r++) {
        const full = await submit(p.batchSize, BigInt(r));
        proveMs += full.proof.proveMs;
        witnessMs += full.proof.witnessMs;
        gasFull = full.gas;
      }
      rows.push({
        instance: p.name,
        depth: p.depth,
        batchSize: p.batchSize,
        constraints: setup.manifest.constraints,
        proveS: proveMs / runs / 1000,
        witnessS: witnessMs / runs / 1000,
        gasEmpty: empty.gas,
        gasFull,
      });
    } finally {
      await prover.close();
    }
  }
}

const f = (x: number | bigint | undefined, digits = 0) =>
  x === undefined ? "–" : typeof x === "bigint" ? x.toLocaleString("en-US") : x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const cpu = os.cpus();
console.log(`\nMachine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, snarkjs 0.7.6 (wasm witness), ${new Date().toISOString().slice(0, 10)}\n`);
console.log("| instance | D | N | constraints | constraints / transfer | witness s / batch | proving s / batch | proving s / transfer | L1 gas / batch (N transfers) | L1 gas / transfer | marginal gas / transfer | fixed gas / batch |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const marginal = r.gasFull !== undefined && r.gasEmpty !== undefined ? (r.gasFull - r.gasEmpty) / BigInt(r.batchSize) : undefined;
  console.log(
    `| ${r.instance} | ${r.depth} | ${r.batchSize} | ${f(r.constraints)} | ${f(Math.round(r.constraints / r.batchSize))} | ${f(r.witnessS, 2)} | ${f(r.proveS, 1)} | ${f(r.proveS === undefined ? undefined : r.proveS / r.batchSize, 1)} | ${f(r.gasFull)} | ${f(r.gasFull === undefined ? undefined : r.gasFull / BigInt(r.batchSize))} | ${f(marginal)} | ${f(r.gasEmpty)} |`,
  );
}
