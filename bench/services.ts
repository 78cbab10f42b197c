// Service benchmarks: transfers accepted per second by the sequencer over HTTP on loopback, and
// proving throughput of the local proving queue with 1 and 2 concurrent proofs.
//
//   bin/bench-services [--txs 300] [--proofs 4]
import os from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { benchWorld, fundedRollup, log } from "./world.js";
import { buildBatch } from "../src/model/batch.js";
import { L2Key } from "../src/model/keys.js";
import { L2State } from "../src/model/state.js";
import { signTransfer, transferToJSON } from "../src/model/tx.js";
import { LocalProofQueue } from "../src/prover/queue.js";
import { buildApi } from "../src/sequencer/api.js";
import { Sequencer } from "../src/sequencer/service.js";
import { SequencerStore } from "../src/sequencer/store.js";

const { values } = parseArgs({ options: { txs: { type: "string", default: "300" }, proofs: { type: "string", default: "4" } } });
const nTx = Number(values.txs);
const nProofs = Number(values.proofs);
const w = await benchWorld();
const { p, setup, crypto } = w;
const rows: [string, string][] = [];

// 1. HTTP acceptance: 20 funded accounts, nTx signed transfers posted sequentially over loopback.
{
  const dir = mkdtempSync(path.join(os.tmpdir(), "zkr-bench-"));
  const { d, keys, rollup, domain } = await fundedRollup(w, 20, 10n ** 19n);
  const store = new SequencerStore(path.join(dir, "seq.sqlite"));
  const queue = new LocalProofQueue(setup.manifest);
  const seq = new Sequencer({ crypto, params: p, store, rollup, fromBlock: d.deployBlock, prover: queue, batchTimeoutMs: 200, pollMs: 100 });
  await seq.start();
  const app = buildApi(seq, store);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  log("waiting for the deposits to be proven …");
  await seq.drain();
  const bodies = Array.from({ length: nTx }, (_, i) => {
    const from = i % keys.length;
    const nonce = BigInt(Math.floor(i / keys.length));
    const t = signTransfer(
      crypto.hash,
      keys[from],
      { from: BigInt(from + 1), to: BigInt(((from + 1) % keys.length) + 1), amount: 10n ** 15n, fee: 0n, nonce },
      domain,
      p,
    );
    return JSON.stringify(transferToJSON(t));
  });
  log(`posting ${nTx} signed transfers …`);
  const t0 = performance.now();
  for (const body of bodies) {
    const r = await fetch(`${url}/v1/txs`, { method: "POST", headers: { "content-type": "application/json" }, body });
    if (r.status !== 202) throw new Error(`transfer refused: ${await r.text()}`);
  }
  const s = (performance.now() - t0) / 1000;
  rows.push([
    `sequencer: transfers accepted over HTTP (signature check, nonce/balance against the mempool, SQLite commit), ${nTx} sequential requests while batches are built and proven in the background`,
    `${(nTx / s).toFixed(0)} tx/s`,
  ]);
  await app.close();
  await seq.stop();
  await queue.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
}

// 2. Proving throughput: the same nProofs batch inputs through the local queue, 1 and 2 at a time.
{
  const state = new L2State(crypto, p);
  const keys = await Promise.all(Array.from({ length: 4 }, () => L2Key.random()));
  const domain = { chainId: 31337n, rollupAddress: 1n };
  const inputs: Record<string, unknown>[] = [];
  let h = 0n;
  for (let b = 0; b < nProofs; b++) {
    const ops =
      b < 2
        ? keys
            .slice(2 * b, 2 * b + 2)
            .map((k, i) => ({ kind: 1, accountIdx: BigInt(2 * b + i + 1), tokenId: 0n, amount: 10n ** 20n, owner: 1n, ax: k.ax, ay: k.ay }))
        : [];
    const txs =
      b < 2
        ? []
        : [0, 1].map((i) => signTransfer(crypto.hash, keys[i], { from: BigInt(i + 1), to: 3n, amount: 10n ** 15n, fee: 0n, nonce: BigInt(b - 2) }, domain, p));
    const batch = buildBatch(state, { l1Ops: ops, txs }, { domain, feeIdx: [], l1HashStart: h });
    h = batch.l1HashEnd;
    inputs.push(batch.circuitInput);
  }
  for (const concurrency of [1, 2]) {
    const q = new LocalProofQueue(setup.manifest, { concurrency });
    const t0 = performance.now();
    await Promise.all(inputs.map((input, i) => q.submit({ id: `b${i}`, input })));
    for (let i = 0; i < inputs.length; i++) await q.result(`b${i}`);
    const s = (performance.now() - t0) / 1000;
    await q.close();
    rows.push([
      `proving ${nProofs} ${p.name} batches, ${concurrency} at a time (one machine)`,
      `${(s / nProofs).toFixed(1)} s per batch, ${((nProofs * p.batchSize) / s).toFixed(2)} transfers/s`,
    ]);
  }
}

const cpu = os.cpus();
console.log(`\nMachine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`);
console.log("| service benchmark | result |\n|---|---|");
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
