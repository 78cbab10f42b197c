// The linked form of the batch circuit (src/proving/link.ts): BatchShell + N × Transfer linked
// into one r1cs, against the monolithic Batch on the test instance (D = 4, N = 2, L = 2, F = 1):
// the same constraint count and public signals, a real batch's assembled witness satisfies it
// and gives the monolith's values, a Groth16 proof verifies with Batch's public signals; a
// cheating prover's witness whose shell and transfer parts disagree on a linked value does not
// satisfy it; parts of another shape, template or main are refused.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { groth16, wtns, zKey } from "snarkjs";
import type { Batch } from "../../src/model/batch.js";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { domainHash } from "../../src/model/tx.js";
import { compileCircuit, type CompiledCircuit } from "../../src/proving/circom.js";
import { withCurve } from "../../src/proving/curve.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import {
  computeLinkedWitness,
  firstViolation,
  interfaceMap,
  type LinkLayout,
  linkedWitness,
  linkLayout,
  linkR1cs,
  openR1cs,
  partInputs,
  readSym,
  readWtns,
  reusingWasmCalculator,
  shellMainSource,
  transferMainSource,
  transferOutputs,
  type TransferOutputs,
  wtnsValue,
} from "../../src/proving/link.js";
import { devPtau } from "../../src/proving/ptau.js";
import { batchMainSource, requiredPower } from "../../src/proving/setup.js";
import { zkeyNew } from "../../src/proving/zkey.js";
import { REPO_ROOT } from "../../src/util/paths.js";
import { terminateCurve } from "../circuits/helpers.js";
import { domain, World } from "../circuits/world.js";

const p = getInstance(TEST_INSTANCE);
const shape = { depth: p.depth, batchSize: p.batchSize, l1Slots: p.l1Slots, feeSlots: p.feeSlots };
const calc = reusingWasmCalculator();

/** snarkjs wtns check, quiet; true iff the witness satisfies every constraint. */
async function wtnsCheck(r1cs: string, wtnsFile: string): Promise<boolean> {
  const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {}, log: () => {} };
  return withCurve(() => wtns.check(r1cs, wtnsFile, quiet) as Promise<boolean>);
}

after(terminateCurve);

describe("linked batch circuit: BatchShell + N × Transfer (test instance)", function () {
  let c: ZkrCrypto;
  let work: string;
  let batchCircuit: CompiledCircuit;
  let shell: CompiledCircuit;
  let transfer: CompiledCircuit;
  let layout: LinkLayout;
  let r1cs: string;
  let dh: bigint;

  before(async () => {
    c = await loadCrypto();
    dh = domainHash(c.hash, domain);
    work = mkdtempSync(path.join(os.tmpdir(), "zkr-link-test-"));
    batchCircuit = await compileCircuit("batch_d4_n2_l2_f1", batchMainSource(p)); // test/circuits/batch.test.ts's
    shell = await compileCircuit("linkshell_d4_n2_l2_f1", shellMainSource(shape));
    transfer = await compileCircuit("linktransfer_d4_f1", transferMainSource(shape));
    layout = linkLayout(shape, shell, transfer);
    r1cs = path.join(work, "linked.r1cs");
    linkR1cs(layout, shell.r1cs, transfer.r1cs, r1cs);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A model batch of two fee-paying transfers (alice → bob, bob → alice) after a deposit. */
  async function twoTransfers(): Promise<{ w: World; batch: Batch }> {
    const w = await World.make(c, p);
    const batch = w.batch({ l1Ops: [w.deposit("alice", 10n ** 6n)], txs: [w.sign("alice", "bob", 10n ** 17n, 2n), w.sign("bob", "alice", 5n, 3n)] }, [
      w.idx.fees,
    ]);
    expect(batch.rejected).to.deep.equal([]);
    return { w, batch };
  }

  it("has Batch's constraint count (shell + N × transfer, the chain of roots costs none) and public signals", () => {
    const mono = openR1cs(batchCircuit.r1cs).header;
    const linked = openR1cs(r1cs).header;
    expect(linked).to.deep.equal(layout.linked);
    expect(linked.nConstraints).to.equal(layout.shell.nConstraints + 2 * layout.transfer.nConstraints);
    expect([linked.nOutputs, linked.nPubInputs]).to.deep.equal([1, 1]);
    expect([linked.nOutputs, linked.nPubInputs]).to.deep.equal([mono.nOutputs, mono.nPubInputs]);
    // --O2 on the parts alone removes what it removes on the whole: the same counts
    expect([linked.nConstraints, linked.nWires]).to.deep.equal([mono.nConstraints, mono.nWires]);
    console.log(
      `      monolithic ${mono.nConstraints} constraints / ${mono.nWires} wires; linked ${linked.nConstraints} = shell ${layout.shell.nConstraints} + 2 × transfer ${layout.transfer.nConstraints} / ${linked.nWires} wires`,
    );
  });

  it("Batch and BatchShell wire the head and the tail alike (the shell is Batch's logic, not a copy of it)", () => {
    const body = (file: string, template: string) => {
      const src = readFileSync(path.join(REPO_ROOT, "circuits", file), "utf8");
      return src.slice(src.indexOf(`template ${template}(`)).split("\n}\n")[0];
    };
    const wiring = (src: string) => new Set(src.split("\n").filter((l) => /^\s+(head|tail)\.\w+ <== /.test(l)));
    const batch = wiring(body("batch.circom", "Batch"));
    const shellWiring = wiring(body("batch_shell.circom", "BatchShell"));
    // what Batch takes from its Transfers, the shell takes from its link inputs
    const fromTransfers = (l: string) => /tx\[/.test(l) || /^\s+tail\.tx\w+ <== tx\w+;$/.test(l) || /^\s+tail\.rootIn <== /.test(l);
    expect([...batch].filter((l) => !fromTransfers(l))).to.deep.equal([...shellWiring].filter((l) => !fromTransfers(l)));
    expect(batch.size).to.be.greaterThan(30);
  });

  it("a real batch's assembled witness satisfies the linked r1cs, with the monolith's values and public signals", async () => {
    const { batch } = await twoTransfers();
    const wit = await computeLinkedWitness(layout, { shell: shell.wasm, transfer: transfer.wasm }, batch.circuitInput, batch.txRootsIn, dh, calc);
    const file = path.join(work, "linked.wtns");
    writeFileSync(file, wit);
    expect(await wtnsCheck(r1cs, file), "snarkjs wtns check").to.equal(true);
    expect(firstViolation(r1cs, readWtns(wit)), "the streaming checker agrees").to.equal(-1);

    // The monolith's witness of the same batch: the same public signals (wires 1, 2), and every
    // signal both keep has the same value (shell signals by name, copy i's as tx[i].<name>).
    const linked = readWtns(wit);
    const mono = readWtns(await calc("batch", batchCircuit.wasm, batch.circuitInput));
    expect([wtnsValue(linked, 1), wtnsValue(linked, 2)]).to.deep.equal(batch.publicSignals);
    expect([wtnsValue(mono, 1), wtnsValue(mono, 2)]).to.deep.equal(batch.publicSignals);
    const monoSym = readSym(batchCircuit.sym).wires;
    const byName = new Map<string, number>(readSym(shell.sym).wires);
    const tsym = readSym(transfer.sym).wires;
    for (let i = 0; i < shape.batchSize; i++)
      for (const [n, w] of tsym)
        byName.set(`tx[${i}].${n}`, w <= layout.nIface ? layout.ifaceWires[i][w - 1] : layout.shell.nWires + i * layout.perCopy + w - layout.nIface - 1);
    let compared = 0;
    for (const [n, w] of byName) {
      const m = monoSym.get(n);
      if (m === undefined) continue;
      expect(wtnsValue(linked, w), n).to.equal(wtnsValue(mono, m));
      compared++;
    }
    expect(compared).to.be.greaterThan(layout.linked.nWires / 2);
  });

  it("a Groth16 proof of the linked circuit verifies with exactly Batch's public signals", async () => {
    const { batch } = await twoTransfers();
    const file = path.join(work, "proof.wtns");
    writeFileSync(file, await computeLinkedWitness(layout, { shell: shell.wasm, transfer: transfer.wasm }, batch.circuitInput, batch.txRootsIn, dh, calc));
    const ptau = await devPtau(requiredPower(layout.linked)); // as src/proving/setup.ts asks
    const zkey = path.join(work, "linked.zkey");
    const t0 = Date.now();
    const logged: string[] = [];
    const by = await zkeyNew("linked_d4_n2_l2_f1", r1cs, ptau.path, zkey, (m) => logged.push(m));
    if (by === "snarkjs") console.log(logged.map((m) => `      ${m}`).join("\n"));
    console.log(`      ${by} zkey new on ${path.basename(ptau.path)}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const vkey = await withCurve(() => zKey.exportVerificationKey(zkey));
    expect(vkey.nPublic).to.equal(2);
    const { proof, publicSignals } = await withCurve(() => groth16.prove(zkey, file));
    expect(publicSignals).to.deep.equal(batch.publicSignals.map(String));
    expect(await withCurve(() => groth16.verify(vkey, publicSignals, proof))).to.equal(true);
    for (const other of [
      [String(batch.publicSignals[0] + 1n), publicSignals[1]],
      [publicSignals[0], String(batch.publicSignals[1] + 1n)],
    ])
      expect(await withCurve(() => groth16.verify(vkey, other, proof))).to.equal(false);
  });

  describe("a cheating prover: each part valid alone, the parts disagreeing on a linked value", function () {
    /**
     * The parts' witnesses of `shellInput` and `transferInputs`, each checked to satisfy its own
     * r1cs; linked, the checked assembly refuses them and the linked r1cs is first violated in
     * copy `copy`'s constraints.
     */
    async function rejectedInCopy(shellInput: Record<string, unknown>, transferInputs: Record<string, unknown>[], copy: number) {
      const tw = await Promise.all(transferInputs.map((x, i) => calc(`transfer[${i}]`, transfer.wasm, x)));
      for (const t of tw) expect(firstViolation(transfer.r1cs, readWtns(t)), "a valid transfer witness").to.equal(-1);
      const sw = await calc("shell", shell.wasm, shellInput);
      expect(firstViolation(shell.r1cs, readWtns(sw)), "a valid shell witness").to.equal(-1);
      expect(() => linkedWitness(layout, sw, tw)).to.throw(new RegExp(`transaction ${copy}: transfer wire \\d+ differs from shell wire`));
      const bad = linkedWitness(layout, sw, tw, { unchecked: true });
      const file = path.join(work, "cheat.wtns");
      writeFileSync(file, bad);
      expect(await wtnsCheck(r1cs, file), "snarkjs wtns check").to.equal(false);
      const at = layout.shell.nConstraints + copy * layout.transfer.nConstraints;
      expect(firstViolation(r1cs, readWtns(bad)), `violated in copy ${copy}`).to.be.within(at, at + layout.transfer.nConstraints - 1);
    }

    /** The honest parts' inputs of a batch, and the transfers' outputs. */
    async function honest(batch: Batch) {
      const parts = partInputs(batch.circuitInput, dh, shape.feeSlots);
      const transfers = batch.txRootsIn.map((r, i) => parts.transfer(i, r));
      const outs: TransferOutputs[] = [];
      for (const [i, x] of transfers.entries()) outs.push(transferOutputs(layout, await calc(`transfer[${i}]`, transfer.wasm, x)));
      return { parts, transfers, outs, shellWith: (o: TransferOutputs[]) => parts.shell(batch.txRootsIn[0], o) };
    }

    it("the honest parts link", async () => {
      const { batch } = await twoTransfers();
      const h = await honest(batch);
      // at once: the reused wasm instance takes them one at a time
      const tw = await Promise.all(h.transfers.map((x) => calc("transfer", transfer.wasm, x)));
      const wit = linkedWitness(layout, await calc("shell", shell.wasm, h.shellWith(h.outs)), tw);
      expect(firstViolation(r1cs, readWtns(wit))).to.equal(-1);
    });

    it("txWord: the shell posts another transaction word than transaction 0's (another batch's data)", async () => {
      const h = await honest((await twoTransfers()).batch);
      await rejectedInCopy(h.shellWith(h.outs.map((o, i) => (i === 0 ? { ...o, txWord: o.txWord + 1n } : o))), h.transfers, 0);
    });

    it("enabled: the shell takes real transaction 1 for padding (its data dropped)", async () => {
      const h = await honest((await twoTransfers()).batch);
      await rejectedInCopy(h.shellWith(h.outs.map((o, i) => (i === 1 ? { ...o, enabled: 0n } : o))), h.transfers, 1);
    });

    it("feeAdd: the shell credits one fee unit moved from transaction 1 to transaction 0 (the same total)", async () => {
      const h = await honest((await twoTransfers()).batch);
      const moved = h.outs.map((o, i) => ({ ...o, feeAdd: [o.feeAdd[0] + (i === 0 ? 1n : -1n)] }));
      await rejectedInCopy(h.shellWith(moved), h.transfers, 0);
    });

    it("rootOut: the shell chains another root after transaction 0 (the root between two transfers meets only the copies)", async () => {
      const h = await honest((await twoTransfers()).batch);
      await rejectedInCopy(h.shellWith(h.outs.map((o, i) => (i === 0 ? { ...o, rootOut: o.rootOut + 1n } : o))), h.transfers, 0);
    });

    it("rootIn: transaction 1 proven against the root before transaction 0 (as if transaction 0 had not happened)", async () => {
      const { batch } = await twoTransfers();
      const h = await honest(batch);
      // the same second transfer alone in a batch of the same world: proven against the root before the first
      const w2 = await World.make(c, p);
      const alone = w2.batch({ l1Ops: [w2.deposit("alice", 10n ** 6n)], txs: [w2.sign("bob", "alice", 5n, 3n)] }, [w2.idx.fees]);
      expect(alone.txRootsIn[0]).to.equal(batch.txRootsIn[0]);
      const stale = partInputs(alone.circuitInput, dh, shape.feeSlots).transfer(0, alone.txRootsIn[0]);
      await rejectedInCopy(h.shellWith(h.outs), [h.transfers[0], stale], 1);
    });

    it("domain: transaction 0 signed and proven for another rollup", async () => {
      const { batch } = await twoTransfers();
      const h = await honest(batch);
      const otherDomain = { ...domain, rollupAddress: domain.rollupAddress + 1n };
      const w2 = await World.make(c, p);
      const signed = w2.sign("alice", "bob", 10n ** 17n, 2n, { domain: otherDomain });
      const input = {
        ...h.transfers[0],
        domain: String(domainHash(c.hash, otherDomain)),
        sigS: String(signed.signature.S),
        sigR8x: String(signed.signature.R8x),
        sigR8y: String(signed.signature.R8y),
      };
      await rejectedInCopy(h.shellWith(h.outs), [input, h.transfers[1]], 0);
    });
  });

  describe("refuses parts that do not fit, with the reason", function () {
    it("a transfer of another depth or fee-slot count, or a shape the parts are not", async () => {
      const t2 = await compileCircuit("linktransfer_d2_f1", transferMainSource({ depth: 2, feeSlots: 1 }));
      expect(() => linkLayout(shape, shell, t2)).to.throw("transfer is not Transfer(4, 1): fromBits has 4 entries, 2D = 8");
      expect(() => linkLayout({ ...shape, feeSlots: 2 }, shell, transfer)).to.throw("transfer is not Transfer(4, 2): feeAdd has 1 entries, F = 2");
      expect(() => linkLayout({ ...shape, batchSize: 3 }, shell, transfer)).to.throw("shell is not BatchShell(4, 3, 2, 1): txWord has 2 entries, N = 3");
      expect(() => linkLayout({ ...shape, l1Slots: 1 }, shell, transfer)).to.throw("shell is not BatchShell(4, 2, 1, 1): l1Kind has 2 entries, L = 1");
    });

    it("parts of other templates: the monolithic Batch as the shell, the shell as the transfer", () => {
      expect(() => linkLayout(shape, batchCircuit, transfer)).to.throw("shell is not BatchShell(4, 2, 2, 1): txWord has 0 entries, N = 2");
      expect(() => linkLayout(shape, shell, shell)).to.throw("transfer is not Transfer(4, 1): fromBits has 0 entries, 2D = 8");
    });

    it("a .sym without a link signal, or with a link signal --O2 eliminated", () => {
      const lines = readFileSync(shell.sym, "utf8").split("\n");
      const edited = (f: (l: string) => string | undefined) => {
        const file = path.join(work, "edited.sym");
        writeFileSync(file, lines.flatMap((l) => f(l) ?? []).join("\n"));
        return { r1cs: shell.r1cs, sym: file };
      };
      const isDomain = (l: string) => l.split(",")[3] === "main.lnkDomain";
      expect(() =>
        linkLayout(
          shape,
          edited((l) => (isDomain(l) ? undefined : l)),
          transfer,
        ),
      ).to.throw('shell: no signal "lnkDomain" in its .sym');
      const eliminated = edited((l) =>
        isDomain(l)
          ? l
              .split(",")
              .map((x, k) => (k === 1 ? "-1" : x))
              .join(",")
          : l,
      );
      expect(() => linkLayout(shape, eliminated, transfer)).to.throw('shell: signal "lnkDomain" has no wire: --O2 eliminated it');
    });

    it("mains that do not declare the link signals public", async () => {
      const privateTransfer = await compileCircuit(
        "linktransfer_private_d4_f1",
        'pragma circom 2.1.6;\ninclude "transfer.circom";\ncomponent main = Transfer(4, 1);\n',
      );
      expect(() => linkLayout(shape, shell, privateTransfer)).to.throw(`transfer: 4 public wires, the interface has ${interfaceMap(0, 1).length} signals`);
      const privateShell = await compileCircuit(
        "linkshell_private_d4_n2_l2_f1",
        'pragma circom 2.1.6;\ninclude "batch_shell.circom";\ncomponent main {public [challenge]} = BatchShell(4, 2, 2, 1);\n',
      );
      expect(() => linkLayout(shape, privateShell, transfer)).to.throw(
        /^shell: (signal "\w+(\[\d+\])*" has no wire: --O2 eliminated it|link signal \w+(\[\d+\])* is wire \d+, not a demotable public input)/,
      );
    });

    it("r1cs files that are not the layout's", () => {
      const copy = path.join(work, "other.r1cs");
      copyFileSync(transfer.r1cs, copy);
      expect(() => linkR1cs(layout, copy, transfer.r1cs, path.join(work, "x.r1cs"))).to.throw("the r1cs files are not the ones of the layout");
    });
  });
});
