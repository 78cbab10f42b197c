// All-in L1 gas per transfer at full batches, for batch sizes N and aggregation factors k:
//
//   fixed gas per batch when k proofs go in one submitBatches transaction / N + marginal gas per transfer
//
//   node --import tsx bench/l1-cost.ts [--sizes 32,128,256,448,1024] [--aggregate 1,4,8] [--depth 12]
//
// The fixed part is measured with real proofs and the real generated verifier: k + 1 consecutive
// empty batches of the test instance (nothing posted, no L1 operation) are proven, the first is
// submitted alone (it also initialises storage), and from an EVM snapshot after it the next k
// go by submitBatch (k = 1) or one submitBatches (k > 1); the gas over k is the fixed cost of a
// batch at that k. Every batch verifier checks two public signals, so the pairing work is the same
// for every instance; what the Rollup does per batch differs a little with D, L and F (fee-slot and
// slot-scan bytes), so the fixed cost at the size shown is corrected by the difference of empty
// batches of the two parameter sets on the MockVerifier. The marginal part is bench/marginal.ts at
// that N (every calldata byte non-zero, no exits). Neither needs the circuit of the size shown: the
// Rollup takes D, N, L, F as constructor values, so sizes not registered are priced as well.
import os from "node:os";
import { parseArgs } from "node:util";
import { deriveParams } from "../src/model/params.js";
import { L2State } from "../src/model/state.js";
import type { Batch } from "../src/model/batch.js";
import { buildContracts } from "../src/proving/setup.js";
import { Prover } from "../src/proving/prover.js";
import { LocalProofQueue, type QueuedProof } from "../src/prover/queue.js";
import { sendBatch, sendBatches } from "../src/sequencer/operator.js";
import { assembleBatch } from "../src/sequencer/planner.js";
import { proveBatch } from "../src/sequencer/proofs.js";
import { mockBatchGas } from "./marginal.js";
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

const w = await benchWorld();
await buildContracts();

// ---- fixed gas per batch at each k: real proofs, the real verifier
const prover = new Prover(w.setup.manifest, { prover: "auto" });
const proofs = new LocalProofQueue(w.setup.manifest, { prover });
const fixedTest = new Map<number, bigint>();
try {
  const { rollup, domain } = await fundedRollup(w, 0, 0n);
  const state = new L2State(w.crypto, w.p);
  const l1HashStart = await rollup.l1ChainHash(0);
  const proven: { batch: Batch; proof: QueuedProof }[] = [];
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
    const tx = k === 1 ? sendBatch(rollup, run[0]!.batch, run[0]!.proof) : sendBatches(rollup, run);
    const receipt = (await (await tx).wait())!;
    if ((await rollup.batchNumber()) !== BigInt(1 + k)) throw new Error(`L1 did not take the ${k} batches`);
    fixedTest.set(k, receipt.gasUsed / BigInt(k));
    await w.ethers.provider.send("evm_revert", [snap]);
  }
} finally {
  await proofs.close(); // closes the prover too
}

// ---- per size: the marginal gas per transfer, and the correction of the fixed part
const [signer] = await w.ethers.getSigners();
const testMock = await mockBatchGas(signer!, w.p);
interface Row {
  n: number;
  txBytes: number;
  marginal: bigint;
  fixed: Map<number, bigint>;
}
const rows: Row[] = [];
for (const n of sizes) {
  const p = deriveParams({ name: `d${depth}_n${n}`, description: "priced only, no circuit", depth, batchSize: n, l1Slots, feeSlots });
  log(`marginal gas at N = ${n} …`);
  const g = await mockBatchGas(signer!, p);
  rows.push({ n, txBytes: p.txBytes, marginal: g.marginal, fixed: new Map(ks.map((k) => [k, fixedTest.get(k)! + g.empty - testMock.empty])) });
}

const f = (x: number | bigint) => x.toLocaleString("en-US", { maximumFractionDigits: 0 });
const cpu = os.cpus();
console.log(
  `\nMachine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; D = ${depth}, L = ${l1Slots}, F = ${feeSlots}\n`,
);
console.log(`Fixed gas per batch, real proofs and verifier (${w.p.name}, empty batches): ${ks.map((k) => `k = ${k}: ${f(fixedTest.get(k)!)}`).join(", ")}\n`);
console.log(
  `| N | bytes / transfer | marginal gas / transfer | ${ks.map((k) => `fixed / batch, k = ${k}`).join(" | ")} | ${ks.map((k) => `**all-in / transfer, k = ${k}**`).join(" | ")} |`,
);
console.log(`|${"---:|".repeat(3 + 2 * ks.length)}`);
for (const r of rows) {
  const allIn = ks.map((k) => Number(r.fixed.get(k)!) / r.n + Number(r.marginal));
  console.log(
    `| ${r.n} | ${r.txBytes} | ${f(r.marginal)} | ${ks.map((k) => f(r.fixed.get(k)!)).join(" | ")} | ${allIn.map((x) => `**${f(Math.round(x))}**`).join(" | ")} |`,
  );
}
