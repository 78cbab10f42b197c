// zkr benchmark: constraints per transfer, proving time per batch and per transfer, and L1
// gas per batch and per transfer, measured with real proofs on the in-process Hardhat chain.
//
//   bin/bench [--prove test_d4_b2,bench_d12_b1] [--compile prod_d12_b32,prod_d16_b32] [--runs 2] [--update-snapshots]
//
// Prints Markdown tables (and the machine it ran on) for the README: per instance, and for each
// compiled instance the constraints per component (each template compiled on its own).
//
// --update-snapshots also records what it measured in snapshots/constraints.json (the totals of
// the instances proved or compiled, the breakdowns of the compiled ones, the templates the
// circuit tests pin; entries not measured keep their values) and snapshots/gas.json (the figures
// of test/contracts/Gas.test.ts, run for them), then rewrites README.md's tables from both
// (scripts/readme-tables.ts). The tests check against these files. A cheap update, without the
// production circuits or proofs: bin/bench --prove= --compile=test_d4_b2,bench_d12_b1 --update-snapshots
import os from "node:os";
import { parseArgs } from "node:util";
import { loadCrypto } from "../src/model/crypto.js";
import { DEV_POLICY } from "../src/chain/deploy.js";
import { L2Key } from "../src/model/keys.js";
import { getInstance } from "../src/proving/instances.js";
import { REPO_ROOT } from "../src/util/paths.js";
import { buildContracts, compileSetupCircuit, instanceSource, readR1csInfo, setupInstance } from "../src/proving/setup.js";
import { L2State } from "../src/model/state.js";
import { signTransfer } from "../src/model/tx.js";
import { Prover } from "../src/proving/prover.js";
import { LocalProofQueue } from "../src/prover/queue.js";
import { type OneShotContext, submitNextBatch } from "../src/sequencer/oneshot.js";
import { type Component, componentBreakdown, describePart, measureTemplates, updateConstraintSnapshot, updateGasSnapshot } from "./snapshots.js";
import { measureGasFigures } from "./gas.js";
import { updateReadme } from "../scripts/readme-tables.js";
import { connectRollup, deploy } from "../src/ops/index.js";
import { benchSettings } from "./settings.js";
import { mockBatchGas } from "./marginal.js";

const { values } = parseArgs({
  options: {
    prove: { type: "string", default: "test_d4_b2,bench_d12_b1" },
    compile: { type: "string", default: "prod_d12_b32,prod_d16_b32" },
    runs: { type: "string", default: "2" },
    "update-snapshots": { type: "boolean", default: false },
  },
});
const { devPtau } = benchSettings();
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

interface Breakdown {
  instance: string;
  total: number;
  parts: (Component & { what: string })[];
}
const breakdowns: Breakdown[] = [];

for (const name of list(values.compile)) {
  const p = getInstance(name);
  log(`compiling ${name} …`);
  const c = await compileSetupCircuit(name, instanceSource(name), log); // a linked instance: BatchShell + N × Transfer, linked
  const total = (await readR1csInfo(c.r1cs)).nConstraints;
  rows.push({ instance: name, depth: p.depth, batchSize: p.batchSize, constraints: total });

  log(`compiling the components of ${name} …`);
  const parts = (await componentBreakdown(p, total)).map((x) => ({ ...x, what: describePart(p, x.part) }));
  breakdowns.push({ instance: name, total, parts });
}

const proving = list(values.prove);
const opsGas: { instance: string; what: string; gas: bigint }[] = [];
if (proving.length) {
  process.chdir(REPO_ROOT);
  const crypto = await loadCrypto();
  const setups = [];
  for (const name of proving) {
    log(`setup of ${name} (cached after the first run) …`);
    setups.push(await setupInstance(name, { log, devPtau, writeVerifier: false }));
  }
  const { network } = await import("hardhat");
  const { ethers } = await network.connect();
  const [signer, user] = await ethers.getSigners();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => (await (await tx).wait())!.gasUsed;

  for (const setup of setups) {
    const p = getInstance(setup.manifest.label);
    const prover = new Prover(setup.manifest, { prover: "auto" });
    const proofs = new LocalProofQueue(setup.manifest, { prover });
    try {
      const deployment = await deploy({ signer, chainId, rpc: "http://in-process.invalid", instance: p.name, policy: DEV_POLICY, devPtau, log });
      const { rollup } = await connectRollup({ deployment, provider: ethers.provider, signer });
      const fee = DEV_POLICY.l1OpFee; // every L1 operation pays it; a batch consuming operations credits it to its submitter
      const domain = { chainId, rollupAddress: BigInt(deployment.rollup) };
      const state = new L2State(crypto, p);
      // Accounts: #1 collects fees, #2..#N+1 send, #N+2 receives. All created by L1 deposits.
      const op: OneShotContext = { state, rollup, proofs, domain, feeIdx: [1n], fromBlock: deployment.deployBlock };
      const keys = await Promise.all(Array.from({ length: p.batchSize + 2 }, () => L2Key.random()));
      const deposits: bigint[] = [];
      for (const k of keys) deposits.push(await gasOf(rollup.connect(user).depositETH(k.ax, k.ay, { value: 10n ** 20n + fee })));
      opsGas.push({ instance: p.name, what: "depositETH (creates an account)", gas: deposits[deposits.length - 1] });
      opsGas.push({
        instance: p.name,
        what: "depositETHTo (existing account)",
        gas: await gasOf(rollup.connect(user).depositETHTo(2, { value: DEV_POLICY.minDeposit + fee })),
      });
      log(`${p.name}: proving the deposit batches …`);
      const withOps = await submitNextBatch(op);
      opsGas.push({ instance: p.name, what: `submitBatch consuming ${withOps.batch.l1Ops.length} deposit(s), no transfers`, gas: withOps.receipt.gasUsed });
      while ((await rollup.l1Processed()) < (await rollup.l1OpCount())) await submitNextBatch(op);

      const txs = (nonce: bigint, to: bigint) =>
        keys
          .slice(1, p.batchSize + 1)
          .map((k, i) => signTransfer(crypto.hash, k, { from: BigInt(i + 2), to, amount: 10n ** 18n, fee: to === 0n ? 0n : 10n ** 14n, nonce }, domain, p));
      log(`${p.name}: proving an empty batch, ${runs} full transfer batches and a batch of exits …`);
      const empty = await submitNextBatch(op);
      let proveMs = 0;
      let witnessMs = 0;
      let gasFull = 0n;
      for (let r = 0; r < runs; r++) {
        const full = await submitNextBatch(op, txs(BigInt(r), BigInt(p.batchSize + 2)));
        proveMs += full.proof.proveMs;
        witnessMs += full.proof.witnessMs;
        gasFull = full.receipt.gasUsed;
      }
      const exits = await submitNextBatch(op, txs(BigInt(runs), 0n));
      opsGas.push({
        instance: p.name,
        what: `marginal gas per exit (batch of ${p.batchSize} exits vs empty batch)`,
        gas: (exits.receipt.gasUsed - empty.receipt.gasUsed) / BigInt(p.batchSize),
      });
      opsGas.push({ instance: p.name, what: "withdraw (ETH)", gas: await gasOf(rollup.connect(user).withdraw(0)) });
      opsGas.push({ instance: p.name, what: "forceExit", gas: await gasOf(rollup.connect(user).forceExit(2, { value: fee })) });
      await ethers.provider.send("evm_increaseTime", [3601]);
      await (await rollup.activateEscape()).wait();
      const a = state.account(2n)!;
      opsGas.push({
        instance: p.name,
        what: `escapeWithdraw (Merkle proof, D=${p.depth})`,
        gas: await gasOf(rollup.connect(user).escapeWithdraw(2n, a.ax, a.ay, a.balance, a.nonce, state.tree.proof(2n).flat())),
      });
      rows.push({
        instance: p.name,
        depth: p.depth,
        batchSize: p.batchSize,
        constraints: setup.manifest.constraints,
        proveS: proveMs / runs / 1000,
        witnessS: witnessMs / runs / 1000,
        gasEmpty: empty.receipt.gasUsed,
        gasFull,
      });
    } finally {
      await proofs.close(); // closes the prover too
    }
  }
}

// Calldata and execution cost per transfer at the production batch size (bench/marginal.ts).
const marginalRows: { instance: string; n: number; marginal: bigint; fixed: bigint }[] = [];
for (const name of list(values.compile)) {
  const p = getInstance(name);
  const { network } = await import("hardhat");
  const { ethers } = await network.connect();
  const [signer] = await ethers.getSigners();
  await buildContracts();
  const g = await mockBatchGas(signer!, p);
  marginalRows.push({ instance: name, n: p.batchSize, marginal: g.marginal, fixed: g.empty });
}

const f = (x: number | bigint | undefined, digits = 0) =>
  x === undefined
    ? "–"
    : typeof x === "bigint"
      ? x.toLocaleString("en-US")
      : x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const cpu = os.cpus();
console.log(
  `\nMachine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, snarkjs 0.7.6 (wasm witness), ${new Date().toISOString().slice(0, 10)}\n`,
);
console.log(
  "| instance | D | N | constraints | constraints / transfer | witness s / batch | proving s / batch | proving s / transfer | L1 gas / batch (N transfers) | L1 gas / transfer | marginal gas / transfer | fixed gas / batch |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const marginal = r.gasFull !== undefined && r.gasEmpty !== undefined ? (r.gasFull - r.gasEmpty) / BigInt(r.batchSize) : undefined;
  console.log(
    `| ${r.instance} | ${r.depth} | ${r.batchSize} | ${f(r.constraints)} | ${f(Math.round(r.constraints / r.batchSize))} | ${f(r.witnessS, 2)} | ${f(r.proveS, 1)} | ${f(r.proveS === undefined ? undefined : r.proveS / r.batchSize, 1)} | ${f(r.gasFull)} | ${f(r.gasFull === undefined ? undefined : r.gasFull / BigInt(r.batchSize))} | ${f(marginal)} | ${f(r.gasEmpty)} |`,
  );
}
for (const b of breakdowns) {
  const p = getInstance(b.instance);
  console.log(
    `\nConstraints of ${b.instance} (D=${p.depth}: ${(4n ** BigInt(p.depth)).toLocaleString("en-US")} accounts, N=${p.batchSize}, L=${p.l1Slots}, F=${p.feeSlots}), per component:\n`,
  );
  console.log("| component | × | constraints each | per batch | per transfer |\n|---|---|---|---|---|");
  for (const x of b.parts)
    console.log(`| ${x.what} | ${x.count} | ${f(x.each)} | ${f(x.count * x.each)} | ${f(Math.round((x.count * x.each) / p.batchSize))} |`);
  console.log(`| **total** | | | **${f(b.total)}** | **${f(Math.round(b.total / p.batchSize))}** |`);
}
if (opsGas.length) {
  console.log("\n| instance | L1 operation | gas |\n|---|---|---|");
  for (const g of opsGas) console.log(`| ${g.instance} | ${g.what} | ${f(g.gas)} |`);
}
if (marginalRows.length) {
  console.log(
    "\n| instance | N | calldata bytes / transfer | marginal L1 gas per transfer (every byte non-zero) | fixed gas per batch with a stub verifier instead of the ~190k verifier |\n|---|---|---|---|---|",
  );
  for (const m of marginalRows) console.log(`| ${m.instance} | ${m.n} | ${getInstance(m.instance).txBytes} | ${f(m.marginal)} | ${f(m.fixed)} |`);
}

if (values["update-snapshots"]) {
  log("measuring the pinned templates …");
  const templates = await measureTemplates(log);
  updateConstraintSnapshot({
    instances: Object.fromEntries(rows.map((r) => [r.instance, r.constraints])),
    components: Object.fromEntries(breakdowns.map((b) => [b.instance, b.parts.map(({ part, count, each }) => ({ part, count, each }))])),
    templates,
  });
  log("measuring the gas figures (test/contracts/Gas.test.ts) …");
  updateGasSnapshot(await measureGasFigures(log));
  const changed = updateReadme();
  log(`updated snapshots/constraints.json, snapshots/gas.json${changed ? " and README.md's tables" : " (README.md's tables unchanged)"}`);
}
