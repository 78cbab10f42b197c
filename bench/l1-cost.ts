// All-in L1 gas per transfer at full batches, for batch sizes N and aggregation factors k (k
// batches in one submitBatches transaction; k = 1: submitBatch), under Ethereum's current rules:
//
//   gas of the transaction = 21,000 + max(calldata gas + execution gas, 10 · calldata tokens)
//   (EIP-7623, in force since Prague: a data-heavy transaction pays at least 10 gas per token,
//   a token per zero byte and 4 per non-zero byte, i.e. 40 instead of 16 gas per non-zero byte)
//   all-in gas per transfer = gas of the transaction / (k · N)
//
//   node --import tsx bench/l1-cost.ts [--sizes 32,128,256,448,1024] [--aggregate 1,4,8] [--depth 12]
//
// Because of the max, the cost is not "fixed cost / N + marginal cost": execution and calldata
// are measured apart, on an in-process chain at Cancun (no floor: gas used is exactly 21,000 +
// calldata + execution; opcode and precompile prices are those of Prague and Osaka), and the
// transaction's gas is computed from them by the rule above.
// - Execution of k batches: real proofs and the real generated verifier. k + 1 consecutive empty
//   batches of the test instance are proven; the first is submitted alone (it also initialises
//   storage), then from an EVM snapshot the next k by submitBatch (k = 1) or one submitBatches.
//   Every batch verifier checks two public signals, so this is the verifier's work for any
//   instance. What the Rollup does per batch depends on D, L, F and N (fee-slot bytes, the
//   public-input polynomial's 5 + L + ⌈N / 2⌉ coefficients): the difference of empty batches of
//   the two parameter sets on the MockVerifier is added per batch, and the execution a posted
//   transfer adds at that N (every calldata byte non-zero, no exits) per transfer.
// - Calldata: the actual submitBatches (submitBatch) encoding of k batches of N transfers of
//   non-zero bytes, with the real proofs.
// No circuit of size N is needed: the Rollup takes D, N, L, F as constructor values, so sizes not
// registered are priced the same way.
import os from "node:os";
import { parseArgs } from "node:util";
import { batchArgs, batchStruct } from "../src/chain/calldata.js";
import { deriveParams, type DerivedParams } from "../src/model/params.js";
import { L2State } from "../src/model/state.js";
import type { Batch } from "../src/model/batch.js";
import { buildContracts } from "../src/proving/setup.js";
import { packGroth16Proof } from "../src/proving/proof.js";
import { Prover } from "../src/proving/prover.js";
import { LocalProofQueue, type QueuedProof } from "../src/prover/queue.js";
import type { RollupContract } from "../src/chain/deploy.js";
import { sendBatch, sendBatches } from "../src/sequencer/operator.js";
import { assembleBatch } from "../src/sequencer/planner.js";
import { proveBatch } from "../src/sequencer/proofs.js";
import { calldataBytes, calldataGas, executionGas, mockBatchGas, worstCaseTxData } from "./marginal.js";
import { benchWorld, fundedRollup, log } from "./world.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "32,128,256,448,1024" },
    aggregate: { type: "string", default: "1,4,8" },
    depth: { type: "string", default: "12" },
    "l1-slots": { type: "string", default: "4" },
    "fee-slots": { type: "string", default: "2" },
  },
});
const ints = (s: string) => s.split(",").filter(Boolean).map(Number);
const sizes = ints(values.sizes);
const ks = ints(values.aggregate);
const depth = Number(values.depth);
const l1Slots = Number(values["l1-slots"]);
const feeSlots = Number(values["fee-slots"]);
const kMax = Math.max(...ks);

/** EIP-7623's floor price of a calldata token. */
const FLOOR_PER_TOKEN = 10;

const w = await benchWorld("cancun");
await buildContracts();

// ---- execution of k empty batches: real proofs, the real verifier
const prover = new Prover(w.setup.manifest, { prover: "auto" });
const proofs = new LocalProofQueue(w.setup.manifest, { prover });
const realExecution = new Map<number, number>();
let rollup!: RollupContract;
const proven: { batch: Batch; proof: QueuedProof }[] = [];
try {
  const funded = await fundedRollup(w, 0, 0n);
  ({ rollup } = funded);
  const state = new L2State(w.crypto, w.p);
  const l1HashStart = await rollup.l1ChainHash(0);
  const domain = funded.domain;
  log(`proving ${kMax + 1} empty batches of ${w.p.name} …`);
  for (let i = 0; i <= kMax; i++) {
    const { batch } = assembleBatch(state, { txs: [], l1Ops: [] }, { domain, feeIdx: [], l1HashStart });
    state.commit();
    proven.push({ batch, proof: await proveBatch(proofs, `l1-cost-${i}`, batch) });
  }
  const first = proven[0]!;
  await (await sendBatch(rollup, first.batch, first.proof)).wait();
  for (const k of ks) {
    const snap = await w.ethers.provider.send("evm_snapshot", []);
    const run = proven.slice(1, 1 + k);
    const receipt = (await (await (k === 1 ? sendBatch(rollup, run[0]!.batch, run[0]!.proof) : sendBatches(rollup, run))).wait())!;
    if ((await rollup.batchNumber()) !== BigInt(1 + k)) throw new Error(`L1 did not take the ${k} batches`);
    realExecution.set(k, await executionGas(w.ethers.provider, receipt));
    await w.ethers.provider.send("evm_revert", [snap]);
  }
} finally {
  await proofs.close(); // closes the prover too
}

/** The calldata of k full batches of parameters p (transfers of non-zero bytes) with the real proofs. */
function fullCalldata(p: DerivedParams, k: number): Uint8Array {
  const items = proven.slice(1, 1 + k).map(({ batch, proof }) => ({
    data: {
      newRoot: batch.data.newRoot,
      l1Count: 0,
      l1Results: new Uint8Array(),
      feeIdx: new Uint8Array(p.feeSlots * p.idxBytes).fill(1),
      txData: worstCaseTxData(p, p.batchSize),
      commitment: batch.data.commitment,
    },
    proof: packGroth16Proof(proof.proof),
  }));
  const hex =
    k === 1
      ? rollup.interface.encodeFunctionData("submitBatch", [...batchArgs(items[0]!.data), items[0]!.proof])
      : rollup.interface.encodeFunctionData("submitBatches", [items.map((x) => batchStruct(x.data)), items.map((x) => x.proof)]);
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

// ---- per size: the Rollup's own execution, and the transaction's gas by the rule
const [signer] = await w.ethers.getSigners();
const testMock = await mockBatchGas(signer!, w.p);
interface Cell {
  gas: number;
  floor: boolean;
}
interface Row {
  n: number;
  txBytes: number;
  perTransferExecution: number;
  cells: Map<number, Cell>;
}
const rows: Row[] = [];
for (const n of sizes) {
  const p = deriveParams({ name: `d${depth}_n${n}`, description: "priced only, no circuit", depth, batchSize: n, l1Slots, feeSlots });
  log(`execution at N = ${n} …`);
  const g = await mockBatchGas(signer!, p);
  const cells = new Map<number, Cell>();
  for (const k of ks) {
    const execution = realExecution.get(k)! + k * (g.emptyExecution - testMock.emptyExecution) + k * n * g.marginalExecution;
    const cd = calldataBytes(fullCalldata(p, k));
    const standard = 21_000 + calldataGas(cd) + execution;
    const floor = 21_000 + FLOOR_PER_TOKEN * (cd.zero + 4 * cd.nonZero);
    cells.set(k, { gas: Math.max(standard, floor), floor: floor > standard });
  }
  rows.push({ n, txBytes: p.txBytes, perTransferExecution: g.marginalExecution, cells });
}

const f = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 0 });
const cpu = os.cpus();
console.log(
  `\nMachine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; D = ${depth}, L = ${l1Slots}, F = ${feeSlots}\n`,
);
console.log(
  `Execution gas of empty batches with real proofs and the real verifier (${w.p.name}), per batch: ${ks.map((k) => `k = ${k}: ${f(realExecution.get(k)! / k)}`).join(", ")}\n`,
);
console.log(`| N | bytes / transfer | Rollup execution / transfer | ${ks.map((k) => `**all-in gas / transfer, k = ${k}**`).join(" | ")} |`);
console.log(`|${"---:|".repeat(3 + ks.length)}`);
for (const r of rows) {
  const cells = ks.map((k) => {
    const c = r.cells.get(k)!;
    return `**${f(Math.round(c.gas / (k * r.n)))}**${c.floor ? " ᶠ" : ""}`;
  });
  console.log(`| ${r.n} | ${r.txBytes} | ${f(r.perTransferExecution)} | ${cells.join(" | ")} |`);
}
console.log("\nᶠ the calldata floor (EIP-7623) sets the transaction's gas");
