// The linked batch circuit (src/proving/link.ts, docs/LINKED-CIRCUIT.md) at a given shape: links a
// compiled BatchShell(D, N, L, F) and Transfer(D, F), reports the link time and the linked r1cs's
// counts against the parts'; with --transactions n, also pushes a model batch of that shape through
// it (2 CREATEs as L1 operations, then n transfers alice → bob, bob the fee account, padding
// after; Batch(D, N, L, F) is never compiled): the parts' witnesses, the assembly, the public
// signals against the model's and firstViolation over the linked r1cs (streamed), then one wire of
// a copy flipped, which must be violated inside that copy.
//
//   node --import tsx bench/link.ts --shape D,N,L,F --out linked.r1cs [--transactions n]
//       [--shell dir --transfer dir]
//
// Without --shell/--transfer the parts are compiled into the cache (compileCircuit, r1cs, sym
// and wasm at once; for small shapes). For large ones compile them outside, each main
// (shellMainSource / transferMainSource, printed by --print-mains) as <dir>/main.circom with
// `circom2 main.circom --r1cs --sym --wasm --O2 -l node_modules/circomlib/circuits -l circuits`
// from the repository root, e.g. under /usr/bin/time -v; a dir then holds main.r1cs, main.sym
// and main_js/main.wasm (the wasm only for --transactions).
import path from "node:path";
import { parseArgs } from "node:util";
import { buildBatch } from "../src/model/batch.js";
import { loadCrypto } from "../src/model/crypto.js";
import { L2Key } from "../src/model/keys.js";
import { L1OpKind, type L1Op } from "../src/model/l1op.js";
import { deriveParams } from "../src/model/params.js";
import { L2State } from "../src/model/state.js";
import { domainHash, signTransfer, type Domain } from "../src/model/tx.js";
import { compileCircuit } from "../src/proving/circom.js";
import {
  computeLinkedWitness,
  firstViolation,
  linkLayout,
  linkR1cs,
  readWtns,
  reusingWasmCalculator,
  shellMainSource,
  transferMainSource,
  wtnsValue,
} from "../src/proving/link.js";

const { values } = parseArgs({
  options: {
    shape: { type: "string" },
    out: { type: "string" },
    transactions: { type: "string" },
    shell: { type: "string" },
    transfer: { type: "string" },
    "print-mains": { type: "boolean", default: false },
  },
});
const dims = (values.shape ?? "").split(",").map(Number);
if (dims.length !== 4 || dims.some((x) => !Number.isInteger(x) || x < 0) || (!values.out && !values["print-mains"]))
  throw new Error("usage: bench/link.ts --shape D,N,L,F --out linked.r1cs [--transactions n] [--shell dir --transfer dir] | --shape D,N,L,F --print-mains");
const [depth, batchSize, l1Slots, feeSlots] = dims;
const shape = { depth, batchSize, l1Slots, feeSlots };
if (values["print-mains"]) {
  console.log(`// shell\n${shellMainSource(shape)}// transfer\n${transferMainSource(shape)}`);
  process.exit(0);
}
const out = values.out!;
const t0 = performance.now() / 1000;
const log = (m: string) => console.log(`[${(performance.now() / 1000 - t0).toFixed(1)} s] ${m}`);
const partOf = (dir: string) => ({ r1cs: path.join(dir, "main.r1cs"), sym: path.join(dir, "main.sym"), wasm: path.join(dir, "main_js", "main.wasm") });
const tag = `d${depth}_n${batchSize}_l${l1Slots}_f${feeSlots}`;
const shell = values.shell ? partOf(values.shell) : await compileCircuit(`linkshell_${tag}`, shellMainSource(shape));
const transfer = values.transfer ? partOf(values.transfer) : await compileCircuit(`linktransfer_d${depth}_f${feeSlots}`, transferMainSource(shape));
log("parts ready");

const layout = linkLayout(shape, shell, transfer);
log("layout read");
const stats = linkR1cs(layout, shell.r1cs, transfer.r1cs, out);
const c = (h: { nConstraints: number; nWires: number }) => `${h.nConstraints.toLocaleString("en-US")} constraints, ${h.nWires.toLocaleString("en-US")} wires`;
log(
  `linked ${out} in ${stats.seconds.toFixed(1)} s, ${(stats.bytes / 2 ** 20).toFixed(0)} MiB: ${c(layout.linked)} = shell ${c(layout.shell)} + ${batchSize} × transfer ${c(layout.transfer)}; peak RSS so far ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
);

if (values.transactions !== undefined) {
  const nTx = Number(values.transactions);
  if (l1Slots < 2 || nTx > batchSize) throw new Error("--transactions needs L ≥ 2 (two CREATEs) and n ≤ N");
  const crypto = await loadCrypto();
  const p = deriveParams({ name: `link_${tag}`, description: "bench/link.ts", ...shape });
  const state = new L2State(crypto, p);
  const domain: Domain = { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n };
  const keys = await Promise.all(["alice", "bob"].map((n) => L2Key.fromPrivateKey(`0x${Buffer.from(`zkr link bench ${n}`.padEnd(32, ".")).toString("hex")}`)));
  const l1Ops: L1Op[] = keys.map((k, i) => ({
    kind: L1OpKind.CREATE,
    accountIdx: BigInt(i + 1),
    tokenId: 1n,
    amount: i === 0 ? 10n ** 18n : 0n,
    owner: 0x1000n + BigInt(i),
    ax: k.ax,
    ay: k.ay,
  }));
  const txs = Array.from({ length: nTx }, (_, i) =>
    signTransfer(crypto.hash, keys[0], { from: 1n, to: 2n, amount: 1000n + BigInt(i), fee: 1n, nonce: BigInt(i) }, domain, p),
  );
  const batch = buildBatch(state, { l1Ops, txs }, { domain, feeIdx: [2n, ...Array<bigint>(feeSlots - 1).fill(0n)] });
  if (batch.rejected.length) throw new Error(`rejected: ${batch.rejected.map((r) => r.error.message).join("; ")}`);
  log(`model batch: ${l1Ops.length} L1 operations, ${batch.txs.length} transfers, ${batchSize - batch.txs.length} padding slots`);

  const calc = reusingWasmCalculator();
  let transferSeconds = 0;
  const timed = async (label: string, wasm: Uint8Array | string, input: Record<string, unknown>) => {
    const s = performance.now();
    const w = await calc(label, wasm, input);
    if (label === "shell") log(`shell witness ${((performance.now() - s) / 1000).toFixed(1)} s`);
    else transferSeconds += (performance.now() - s) / 1000;
    return w;
  };
  const wit = readWtns(
    await computeLinkedWitness(
      layout,
      { shell: shell.wasm, transfer: transfer.wasm },
      batch.circuitInput,
      batch.txRootsIn,
      domainHash(crypto.hash, domain),
      timed,
    ),
  );
  log(`linked witness: ${batchSize} transfer witnesses in ${transferSeconds.toFixed(1)} s, ${((wit.n * wit.n8) / 2 ** 20).toFixed(0)} MiB`);
  const pub = [wtnsValue(wit, 1), wtnsValue(wit, 2)];
  log(`public signals ${pub[0] === batch.publicSignals[0] && pub[1] === batch.publicSignals[1] ? "equal" : "DIFFERENT from"} the model's`);
  const bad = firstViolation(out, wit, log);
  log(bad === -1 ? "the linked r1cs is satisfied" : `constraint ${bad} violated`);
  const copy = batchSize - 1;
  const flipped = Buffer.from(wit.values);
  flipped[(layout.shell.nWires + copy * layout.perCopy + Math.floor(layout.perCopy / 2)) * wit.n8] ^= 1;
  const at = firstViolation(out, { ...wit, values: flipped }, log);
  const lo = layout.shell.nConstraints + copy * layout.transfer.nConstraints;
  log(`a wire of copy ${copy} flipped: first violated constraint ${at} (copy ${copy} spans ${lo}..${lo + layout.transfer.nConstraints - 1})`);
}
log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
process.exit(0);
