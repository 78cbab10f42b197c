// Witness benchmark of a linked instance (src/proving/linked.ts): the linked witness of a full
// batch (every transaction and L1 slot in use: bench/witness.ts fullBatchInput) as a Prover of
// its setup computes it, with the parts' C++ generators (one process per transfer, as many at
// once as cores) and, with --wasm, with their wasm (one reused instance, one at a time). No setup
// is needed: the parts are compiled and linked (compileLinked, cached) and the C++ generators
// built (cached).
//
//   node --import tsx bench/linked-witness.ts [--wasm] [--padding] [instance]    (default: prod_d12_b448)
//
// --padding also times a batch of one transfer (the rest padding, whose witness is computed once).
// Prints a Markdown table: per calculator, the transfers' and the shell's time, the total, per
// enabled slot, and the process's peak RSS.
import os from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { buildBatch } from "../src/model/batch.js";
import { loadCrypto } from "../src/model/crypto.js";
import { L2Key } from "../src/model/keys.js";
import { L1OpKind, type L1Op } from "../src/model/l1op.js";
import { L2State } from "../src/model/state.js";
import { signTransfer } from "../src/model/tx.js";
import { getInstance } from "../src/proving/instances.js";
import { reusingWasmCalculator } from "../src/proving/link.js";
import { compileLinked, linkedBatchWitness, linkShapeOf, partLabels, partMains, type PartWitness } from "../src/proving/linked.js";
import { buildCppWitness, cppWitness } from "../src/proving/witness.js";
import { fullBatchInput } from "./witness.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { wasm: { type: "boolean", default: false }, padding: { type: "boolean", default: false } },
});
const name = positionals[0] ?? "prod_d12_b448";
const p = getInstance(name);
if (!p.linked) throw new Error(`${name} is not a linked instance`);
const t0 = performance.now();
const log = (m: string) => console.error(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${m}`);
const shape = linkShapeOf(p);

log(`${name}: compiling and linking the parts (cached after the first time) …`);
const linked = await compileLinked(name, shape, log);
log(`${name}: ${linked.layout.linked.nConstraints.toLocaleString("en-US")} constraints; building the parts' C++ generators (cached) …`);
const labels = partLabels(shape);
const mains = partMains(shape);
const cpp = { shell: await buildCppWitness(labels.shell, mains.shell, { log }), transfer: await buildCppWitness(labels.transfer, mains.transfer, { log }) };
log(`${name}: C++ generators ready; building a full batch …`);
const crypto = await loadCrypto();
const inputs: [string, Record<string, unknown>][] = [["full", await fullBatchInput(name)]];
if (values.padding) inputs.push(["1 transfer", await oneTransferInput()]);

interface Row {
  batch: string;
  calc: string;
  enabled: number;
  runs: number;
  transfersS: number;
  shellS: number;
  totalS: number;
}
const rows: Row[] = [];
const calcs: [string, PartWitness, number][] = [["cpp", (part, input) => cppWitness(cpp[part], input), os.availableParallelism()]];
if (values.wasm) {
  const w = reusingWasmCalculator();
  const wasm = { shell: linked.shell.wasm, transfer: linked.transfer.wasm };
  calcs.push(["wasm", (part, input) => w(part, wasm[part], input), 1]);
}
for (const [batch, input] of inputs) {
  for (const [calc, fn, concurrency] of calcs) {
    let shellS = 0;
    const timed: PartWitness = async (part, inp) => {
      const s = performance.now();
      const w = await fn(part, inp);
      if (part === "shell") shellS = (performance.now() - s) / 1000;
      return w;
    };
    log(`${name}: ${batch} batch, ${calc} witness …`);
    const s = performance.now();
    const { wtns, stats } = await linkedBatchWitness(linked.layout, crypto.hash, input, timed, { concurrency });
    const totalS = (performance.now() - s) / 1000;
    log(`${name}: ${batch}, ${calc}: ${totalS.toFixed(1)} s, ${(wtns.length / 2 ** 20).toFixed(0)} MiB witness`);
    rows.push({ batch, calc, enabled: stats.enabled, runs: stats.transferRuns, transfersS: totalS - shellS, shellS, totalS });
  }
}

/** A batch of two CREATEs and one transfer (the other slots padding). */
async function oneTransferInput(): Promise<Record<string, unknown>> {
  const state = new L2State(crypto, p);
  const domain = { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n };
  const keys = await Promise.all([0, 1].map(() => L2Key.random()));
  const l1Ops: L1Op[] = keys.map((k, j) => ({
    kind: L1OpKind.CREATE,
    accountIdx: BigInt(j + 1),
    tokenId: 0n,
    amount: 10n ** 20n,
    owner: 0xa11cen,
    ax: k.ax,
    ay: k.ay,
  }));
  const tx = signTransfer(crypto.hash, keys[1], { from: 2n, to: 1n, amount: 10n ** 18n, fee: 10n ** 14n, nonce: 0n }, domain, p);
  return buildBatch(state, { l1Ops, txs: [tx] }, { domain, feeIdx: [1n] }).circuitInput;
}

const f = (x: number, d = 1) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const cpu = os.cpus();
console.log(
  `\n${name} (N = ${p.batchSize}, ${linked.layout.linked.nConstraints.toLocaleString("en-US")} constraints); machine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${new Date().toISOString().slice(0, 10)}; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB\n`,
);
console.log("| batch | witness | enabled slots | transfer witnesses computed | transfers s | shell s | total s | s / enabled slot |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows)
  console.log(
    `| ${r.batch} | ${r.calc} | ${r.enabled} | ${r.runs} | ${f(r.transfersS)} | ${f(r.shellS)} | ${f(r.totalS)} | ${f(r.totalS / Math.max(1, r.enabled), 3)} |`,
  );
process.exit(0);
