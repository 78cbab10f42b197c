// Witness benchmark: snarkjs's wasm witness calculator against circom's C++ witness generator
// (src/proving/witness.ts) on a real batch input of each instance, with every slot in use.
//
//   npx tsx bench/witness.ts [--runs 5] [instance...]      (default: test_d4_b2 bench_d12_b1)
//
// Builds what is not cached (the circuit, the C++ generator), checks that both calculators give
// byte-identical witnesses, then times each (median of --runs runs after one warm-up) as
// Prover.prove pays it: the wasm timing includes snarkjs instantiating the wasm, the C++ timing
// writing input.json, starting the binary and reading its .wtns. Prints a Markdown table.
import os from "node:os";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { buildBatch } from "../src/model/batch.js";
import { compileCircuit } from "../src/proving/circom.js";
import { loadCrypto } from "../src/model/crypto.js";
import { L2Key } from "../src/model/keys.js";
import { L1OpKind, type L1Op } from "../src/model/l1op.js";
import { getInstance } from "../src/proving/instances.js";
import { batchMainSource, readR1csInfo } from "../src/proving/setup.js";
import { L2State } from "../src/model/state.js";
import { signTransfer } from "../src/model/tx.js";
import { buildCppWitness, cppWitness, wasmWitness } from "../src/proving/witness.js";
import { benchSettings } from "./settings.js";

/**
 * The circuit input of a batch of instance `name` with every slot in use, built with the state
 * model (src/model/state.ts, src/model/batch.ts): after deposits creating a fee account, batchSize senders
 * and a receiver, a batch of l1Slots deposits and batchSize fee-paying transfers.
 */
export async function fullBatchInput(name: string): Promise<Record<string, unknown>> {
  const p = getInstance(name);
  const crypto = await loadCrypto();
  const state = new L2State(crypto, p);
  const domain = { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n };
  const keys = await Promise.all(Array.from({ length: p.batchSize + 2 }, () => L2Key.random()));
  let l1Hash = 0n;
  for (let i = 0; i < keys.length; i += p.l1Slots) {
    const l1Ops: L1Op[] = keys
      .slice(i, i + p.l1Slots)
      .map((k, j) => ({ kind: L1OpKind.CREATE, accountIdx: BigInt(i + j + 1), tokenId: 0n, amount: 10n ** 20n, owner: 0xa11cen, ax: k.ax, ay: k.ay }));
    l1Hash = buildBatch(state, { l1Ops, txs: [] }, { domain, feeIdx: [], l1HashStart: l1Hash }).l1HashEnd;
  }
  const l1Ops: L1Op[] = Array.from({ length: p.l1Slots }, (_, j) => ({
    kind: L1OpKind.DEPOSIT,
    accountIdx: BigInt(j + 1),
    tokenId: 0n,
    amount: 10n ** 18n,
    owner: 0xb0bn,
    ax: 0n,
    ay: 0n,
  }));
  const receiver = BigInt(keys.length);
  const txs = keys
    .slice(1, p.batchSize + 1)
    .map((k, i) => signTransfer(crypto.hash, k, { from: BigInt(i + 2), to: receiver, amount: 10n ** 18n, fee: 10n ** 14n, nonce: 0n }, domain, p));
  const batch = buildBatch(state, { l1Ops, txs }, { domain, feeIdx: [1n], l1HashStart: l1Hash });
  if (batch.txs.length !== p.batchSize)
    throw new Error(`${name}: ${batch.rejected.length} transfers rejected: ${batch.rejected.map((r) => r.error.message).join("; ")}`);
  return batch.circuitInput;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function timeRuns(runs: number, f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { runs: { type: "string", default: "5" } }, allowPositionals: true });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  const names = positionals.length ? positionals : ["test_d4_b2", "bench_d12_b1"];
  const log = (m: string) => console.error(m);

  const rows: string[] = [];
  for (const name of names) {
    const p = getInstance(name);
    const main = batchMainSource(p);
    log(`${name}: compiling (cached after the first run) …`);
    const compiled = await compileCircuit(name, main);
    const { nConstraints } = await readR1csInfo(compiled.r1cs);
    const gen = await buildCppWitness(name, main, { log });
    const input = await fullBatchInput(name);

    const fromWasm = await wasmWitness(name, compiled.wasm, input);
    const fromCpp = await cppWitness(gen, input);
    if (Buffer.compare(Buffer.from(fromWasm), Buffer.from(fromCpp)) !== 0) {
      throw new Error(`${name}: the wasm and C++ witnesses differ (${fromWasm.length} and ${fromCpp.length} bytes)`);
    }
    log(`${name}: witnesses identical (${fromWasm.length} bytes); timing ${runs} runs of each …`);
    const wasmMs = await timeRuns(runs, () => wasmWitness(name, compiled.wasm, input));
    const cppMs = await timeRuns(runs, () => cppWitness(gen, input));
    rows.push(
      `| ${name} | ${nConstraints.toLocaleString("en-US")} | ${wasmMs.toFixed(0)} | ${cppMs.toFixed(0)} | ${(wasmMs / cppMs).toFixed(1)}× | ${gen.buildS.toFixed(0)}${gen.cached ? " (cached)" : ""} |`,
    );
  }

  const cpu = os.cpus();
  console.log(
    `\nMachine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; median of ${runs} runs after one warm-up, ${new Date().toISOString().slice(0, 10)}\n`,
  );
  console.log("| instance | constraints | wasm witness ms | C++ witness ms | speed-up | C++ build s |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  benchSettings();
  await main();
}
