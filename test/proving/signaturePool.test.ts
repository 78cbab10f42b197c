// SignatureVerifierPool (src/proving/signaturePool.ts): results in order for concurrent calls,
// batched across its workers, with the native addon and with circomlibjs; a batch's tree plan
// computed on a worker is the inline answer, a malformed one is refused and the worker kept,
// while signature checks go on; a worker that dies rejects the checks it had and is replaced; close() terminates every thread (a process that
// used a pool exits by itself) and later calls are refused. Needs g++ for the native pool
// (skipped without it).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { expect } from "chai";
import { loadCrypto, SNARK_FIELD } from "../../src/model/crypto.js";
import { L2Key, type Signature, type SignatureMessage } from "../../src/model/keys.js";
import { AccountTree } from "../../src/model/tree.js";
import { newTreePlan, runTreePlan, TreeOp, type TreePlan } from "../../src/model/treePlan.js";
import { type SignatureCheck, SignatureVerifierPool } from "../../src/proving/signaturePool.js";
import { REPO_ROOT } from "../../src/util/paths.js";
import { rejection, skipWithoutCxx } from "./fixtures.js";

const run = promisify(execFile);

/** A plan over a D = 4 tree with a few leaves set: updates, proofs and roots of 20 leaves. */
async function samplePlan(): Promise<TreePlan> {
  const { hash } = await loadCrypto({ engine: "js" });
  const t = new AccountTree(4, hash);
  for (let i = 0; i < 40; i += 3) t.update(BigInt(i), BigInt(1000 + i));
  const plan = newTreePlan(4, t.root);
  for (let i = 0; i < 20; i++) {
    const index = (i * 37) % 256;
    plan.initial.set(index, t.proofAt(index).flat());
    plan.ops.push(TreeOp.PROOF, TreeOp.UPDATE, TreeOp.ROOT);
    plan.indexes.push(index, index, 0);
    plan.leafInputs.push(BigInt(i), BigInt(i + 1), BigInt(i + 2));
  }
  return plan;
}

/** hashTree on `pool` answers runTreePlan's result, concurrently with signature checks; a malformed plan is refused, and the pool goes on. */
async function checkTreePlans(pool: SignatureVerifierPool, cases: { check: SignatureCheck; ok: boolean }[]): Promise<void> {
  const plan = await samplePlan();
  const { hash } = await loadCrypto({ engine: "js" });
  const inline = runTreePlan(hash, plan);
  const [r, answers] = await Promise.all([pool.hashTree(plan), pool.verify(cases.map((c) => c.check))]);
  expect(r).to.deep.equal(inline);
  expect(answers).to.deep.equal(cases.map((c) => c.ok));
  const bad = { ...plan, initial: new Map() };
  expect((await rejection(pool.hashTree(bad))).message).to.match(
    /^a worker could not compute a batch's tree plan: a tree plan touches leaf \d+ without its proof$/,
  );
  expect(await pool.hashTree(plan)).to.deep.equal(inline);
}

describe("signature verifier pool", function () {
  let keys: L2Key[];
  /** Checks with their expected answers: each key's valid signature, and broken ones. */
  let cases: { check: SignatureCheck; ok: boolean }[];
  before(async function () {
    keys = await Promise.all([0, 1, 2].map(() => L2Key.random()));
    cases = [];
    for (let i = 0; i < 30; i++) {
      const k = keys[i % keys.length]!;
      const m: SignatureMessage = { domain: BigInt(i), word: BigInt(1000 + i) };
      const sig: Signature = k.sign(m);
      const check = { m, sig, ax: k.ax, ay: k.ay };
      const broken: SignatureCheck[] = [
        { ...check, sig: { ...sig, S: sig.S + 1n } },
        { ...check, m: { ...m, word: m.word + 1n } },
        { ...check, ax: keys[(i + 1) % keys.length]!.ax, ay: keys[(i + 1) % keys.length]!.ay },
        { ...check, sig: { ...sig, R8x: sig.R8x + SNARK_FIELD } },
      ];
      cases.push({ check, ok: true }, { check: broken[i % broken.length]!, ok: false });
    }
  });

  describe("native", function () {
    let pool: SignatureVerifierPool;
    before(async function () {
      await skipWithoutCxx(this);
      pool = await SignatureVerifierPool.create({ engine: "native", threads: 2, maxBatch: 7 });
    });
    after(() => pool?.close());

    it("answers each call in order, concurrent calls split into batches across the workers", async () => {
      expect(pool.engine).to.equal("native");
      const expected = cases.map((c) => c.ok);
      expect(await pool.verify(cases.map((c) => c.check))).to.deep.equal(expected);
      // Concurrent calls of different sizes (batches of at most 7 mix them): each gets its own answers.
      const parts = [cases.slice(0, 1), cases.slice(1, 20), [], cases.slice(20), cases.slice(5, 9)];
      const answers = await Promise.all(parts.map((part) => pool.verify(part.map((c) => c.check))));
      expect(answers).to.deep.equal(parts.map((part) => part.map((c) => c.ok)));
    });

    it("computes a batch's tree plan on a worker: the inline answer, signatures checked meanwhile; a malformed plan is refused", async () => {
      await checkTreePlans(pool, cases);
    });

    it("a worker that dies rejects the checks it had with the reason, and is replaced", async () => {
      // One worker: the checks after its death can only be answered by its replacement.
      const one = await SignatureVerifierPool.create({ engine: "native", threads: 1 });
      try {
        const bad: SignatureCheck = { ...cases[0]!.check, sig: { ...cases[0]!.check.sig, S: "1" as unknown as bigint } };
        const err = await rejection(one.verify([cases[0]!.check, bad]));
        expect(err.message).to.equal("a signature worker failed: expected a BigInt while checking 2 signatures");
        expect(await one.verify(cases.map((c) => c.check))).to.deep.equal(cases.map((c) => c.ok));
      } finally {
        await one.close();
      }
    });
  });

  it("with circomlibjs: the same answers, and the same tree plans", async function () {
    const pool = await SignatureVerifierPool.create({ engine: "js", threads: 1 });
    try {
      expect(pool.engine).to.equal("js");
      const some = cases.slice(0, 6);
      expect(await pool.verify(some.map((c) => c.check))).to.deep.equal(some.map((c) => c.ok));
      await checkTreePlans(pool, some);
    } finally {
      await pool.close();
    }
    expect((await rejection(pool.verify([cases[0]!.check]))).message).to.equal("the signature pool is closed");
    expect((await rejection(pool.hashTree(await samplePlan()))).message).to.equal("the signature pool is closed");
  });

  it("close() ends every worker thread: a process that used a pool exits by itself", async function () {
    const dir = mkdtempSync(path.join(os.tmpdir(), "zkr-pool-"));
    try {
      const script = path.join(dir, "pool.mts");
      const mod = (f: string) => pathToFileURL(path.join(REPO_ROOT, f)).href;
      const c = cases[0]!.check;
      writeFileSync(
        script,
        [
          `import { SignatureVerifierPool } from ${JSON.stringify(mod("src/proving/signaturePool.ts"))};`,
          `const pool = await SignatureVerifierPool.create({ threads: 2 });`,
          `const c = { m: { domain: ${c.m.domain}n, word: ${c.m.word}n }, sig: { R8x: ${c.sig.R8x}n, R8y: ${c.sig.R8y}n, S: ${c.sig.S}n }, ax: ${c.ax}n, ay: ${c.ay}n };`,
          `console.log(JSON.stringify(await pool.verify([c, { ...c, ax: c.ay }])));`,
          `await pool.close();`,
        ].join("\n"),
      );
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
      // No process.exit in the script: it ends only when no thread or handle is left.
      const { stdout } = await run(process.execPath, ["--import", tsx, script], { cwd: REPO_ROOT, timeout: 60_000 });
      expect(stdout.trim()).to.equal("[true,false]");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
