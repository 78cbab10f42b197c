// The proving job queue: the embedded LocalProofQueue, and BullMQProofQueue with real worker
// processes (src/prover/worker.ts) on a private Redis: parallel proving, a worker killed mid-proof,
// permanent failures, a worker returning bad proofs, graceful shutdown.
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { poseidonHasher } from "../../src/model/crypto.js";
import { REPO_ROOT } from "../../src/util/paths.js";
import { setupCircuit } from "../../src/proving/setup.js";
import { type SetupManifest } from "../../src/proving/manifest.js";
import { BullMQProofQueue } from "../../src/prover/bullmq.js";
import { type Groth16Proof, Prover } from "../../src/proving/prover.js";
import { type JobStatus, LocalProofQueue, type ProofQueue, type QueuedProof, toJsonInput } from "../../src/prover/queue.js";
import { ProvingProcess, readSetupDir, runWorker } from "../../src/prover/worker.js";
import { useRedis } from "../redis.js";
import { poseidonChainMain, rejection, useTempCache } from "../proving/fixtures.js";

const LABEL = "zkrtest_queue_chain";
const LINKS = 16; // 16 Poseidon(2): 3,840 constraints, a proof in about a second here

/** out = h(h(…h(x, y)…, y), y), LINKS times: a circuit slow enough to catch a proof in progress. */
const chainMain = poseidonChainMain(LINKS);

/** A valid curve point that is not the proof's: A negated. */
function corruptProof(proof: Groth16Proof): Groth16Proof {
  const q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
  return { ...proof, pi_a: [proof.pi_a[0]!, (q - BigInt(proof.pi_a[1]!)).toString(), proof.pi_a[2]!] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** True while `pid` is a live process (a zombie left for an init that does not reap counts as gone). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** A prover worker process (src/prover/worker.ts) and its output. */
class WorkerProcess {
  output = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  provingPid = 0;
  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    const collect = (d: Buffer) => {
      this.output += d.toString();
      if (process.env.ZKR_VERBOSE) process.stdout.write(d);
    };
    proc.stdout!.on("data", collect);
    proc.stderr!.on("data", collect);
    this.exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  }

  static async start(name: string, args: string[], env: Record<string, string> = {}): Promise<WorkerProcess> {
    const proc = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "src", "prover", "worker.ts"), "--name", name, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const w = new WorkerProcess(name, proc);
    all.push(w);
    const m = await until(
      `worker ${name} to be ready`,
      () => /ready: .*proving in process (\d+)/.exec(w.output) ?? (proc.exitCode !== null ? Promise.reject(new Error(w.output)) : undefined),
    );
    w.provingPid = Number(m[1]);
    return w;
  }
}
const all: WorkerProcess[] = [];

describe("circuit inputs as JSON (toJsonInput)", () => {
  it("gives every integer its canonical decimal string, a canonical one as it is, and refuses anything else", () => {
    const big = (1n << 253n) + 12345n;
    const given = ["0", "7", "-12", big.toString(), "007", "-0", "0x1F", "00", "-007"];
    const out = toJsonInput({ a: given, b: [[1n, 2]], c: big, d: "5" });
    expect(out).to.deep.equal({ a: given.map((v) => BigInt(v).toString()), b: [["1", "2"]], c: big.toString(), d: "5" });
    for (const bad of ["+5", "1.5", "", " 1", "0x", "1e3", "abc"])
      expect(() => toJsonInput({ x: [bad] }), bad).to.throw(/circuit input x\[0\] is not an integer/);
    expect(() => toJsonInput({ x: 1.5 })).to.throw(/not an integer/);
    expect(() => toJsonInput({ x: 2 ** 60 })).to.throw(/not an integer/);
  });
});

describe("prover queue", function () {
  this.timeout(120_000);
  const cache = useTempCache();
  let manifest: SetupManifest;
  let checker: Prover;
  let chain: (x: bigint, y: bigint) => bigint;

  before(async function () {
    manifest = (await setupCircuit(LABEL, chainMain, { writeVerifier: false })).manifest;
    checker = new Prover(manifest);
    const h = await poseidonHasher();
    chain = (x, y) => {
      for (let i = 0; i < LINKS; i++) x = h([x, y]);
      return x;
    };
  });
  after(async () => checker?.close());

  const job = (n: number) => ({ id: `batch-${n}`, input: { x: BigInt(n), y: 7n }, expectedPublicSignals: [chain(BigInt(n), 7n)] });

  /** A proof of job(n): right public signal, and it verifies (checked here, not only by the queue). */
  async function expectProofOf(r: QueuedProof, n: number): Promise<void> {
    expect(r.id).to.equal(`batch-${n}`);
    expect(r.publicSignals).to.deep.equal([chain(BigInt(n), 7n).toString()]);
    expect(await checker.verify(r.proof, r.publicSignals)).to.equal(true);
  }

  describe("LocalProofQueue (embedded)", function () {
    it("hands proofs out in submission order even when they finish out of order", async function () {
      const prover = new Prover(manifest);
      const finished: string[] = [];
      // The first job's proof is held back, so the next two finish before it.
      const q = new LocalProofQueue(manifest, {
        concurrency: 3,
        prover: {
          prove: async (input) => {
            if (input.x === "1") await sleep(1500);
            const r = await prover.prove(input);
            finished.push(`batch-${String(input.x)}`);
            return r;
          },
          verify: (p, s) => prover.verify(p, s),
          close: () => prover.close(),
        },
      });
      try {
        for (const n of [1, 2, 3]) await q.submit(job(n));
        await until("a job to be active", async () => (await q.status()).some((s) => s.state === "active" && s.phase === "proving"));
        const handed = [await q.next(), await q.next(), await q.next()];
        expect(finished).to.have.length(3);
        expect(finished[2]).to.equal("batch-1"); // finished last, handed out first
        for (const [i, r] of handed.entries()) await expectProofOf(r, i + 1);
        expect(handed.map((r) => r.worker)).to.deep.equal(["local", "local", "local"]);
        const status = await q.status();
        expect(status.map((s) => [s.id, s.state])).to.deep.equal([
          ["batch-1", "completed"],
          ["batch-2", "completed"],
          ["batch-3", "completed"],
        ]);
        expect(status[0]!.elapsedMs).to.be.greaterThan(1500);
        await q.submit(job(1)); // the same job again: nothing to do
        expect((await rejection(q.submit({ ...job(1), input: { x: 1n, y: 8n } }))).message).to.match(/already submitted with a different input/);
        expect((await rejection(q.next())).message).to.match(/already been handed out/);
      } finally {
        await q.close();
      }
    });

    it("fails a job whose input the circuit rejects or whose public signal is not the expected one", async function () {
      const q = new LocalProofQueue(manifest);
      try {
        await q.submit({ id: "no-y", input: { x: 1n } });
        await q.submit({ ...job(4), expectedPublicSignals: [chain(4n, 8n)] });
        expect((await rejection(q.result("no-y"))).message).to.match(new RegExp(`witness computation for circuit "${LABEL}" failed`));
        expect((await rejection(q.result("batch-4"))).message).to.match(/public signals .* differ from the expected/);
        expect((await q.status()).map((s) => s.state)).to.deep.equal(["failed", "failed"]);
        expect((await rejection(q.submit({ id: "x", input: { x: 1.5 } }))).message).to.match(/circuit input x is not an integer/);
      } finally {
        await q.close();
      }
    });
  });

  describe("BullMQProofQueue closed while proofs are awaited", function () {
    const redis = useRedis();

    it("rejects every result() still waiting, at once and with a clear error, and leaves no unhandled rejection behind", async function () {
      const unhandled: unknown[] = [];
      const onUnhandled = (e: unknown) => unhandled.push(e);
      process.on("unhandledRejection", onUnhandled);
      try {
        // No worker takes the jobs: every wait is still open when the queue closes, at different
        // points of its first Redis calls (closed at once, and after 5, 10 and 20 ms).
        for (const [round, delay] of [0, 5, 10, 20].entries()) {
          const q = new BullMQProofQueue(manifest, { redis: redis().url, queue: `closing-${round}` });
          for (let n = 1; n <= 12; n++) await q.submit(job(n));
          const results = Array.from({ length: 12 }, (_, i) =>
            q.result(`batch-${i + 1}`).then(
              () => "a proof",
              (e: Error) => e.message,
            ),
          );
          await new Promise((r) => setTimeout(r, delay));
          await q.close();
          const settled = await Promise.race([Promise.all(results), new Promise<string>((r) => setTimeout(() => r("still waiting 2 s after close()"), 2_000))]);
          expect(settled, `closed after ${delay} ms`).to.deep.equal(Array(12).fill(`proof queue closing-${round} was closed`));
          expect((await rejection(q.result("batch-1"))).message, "a result() after close()").to.equal(`proof queue closing-${round} was closed`);
        }
        await new Promise((r) => setTimeout(r, 500)); // what Redis calls were still under way have failed by now
        expect(unhandled.map((e) => (e as Error).message)).to.deep.equal([]);
      } finally {
        process.off("unhandledRejection", onUnhandled);
      }
    });
  });

  describe("BullMQProofQueue with worker processes on Redis", function () {
    let q: BullMQProofQueue;
    let w1: WorkerProcess;
    let w2: WorkerProcess;
    let survivor: WorkerProcess;
    let setupCopy: string;
    // Registered before useRedis(), so it runs first: workers go before their Redis does.
    after(async function () {
      for (const w of all) {
        w.proc.kill("SIGKILL");
        if (w.provingPid && running(w.provingPid)) process.kill(w.provingPid, "SIGKILL");
      }
      await Promise.all(all.map((w) => w.exited));
      await q?.close();
    });
    const redis = useRedis();

    before(async function () {
      // Workers prove with a copy of the setup directory, as a worker on another machine would.
      setupCopy = path.join(cache(), "worker-copy", path.basename(path.dirname(manifest.zkey)));
      cpSync(path.dirname(manifest.zkey), setupCopy, { recursive: true });
      const args = ["--redis", redis().url, "--queue", "proofs", "--setup", setupCopy];
      [w1, w2] = await Promise.all([WorkerProcess.start("w1", args), WorkerProcess.start("w2", args)]);
      q = new BullMQProofQueue(manifest, { redis: redis().url, queue: "proofs", attempts: 2, backoffMs: 200 });
    });

    /** Polls status() until `id` matches `pred`; returns that status. */
    const statusOf = (id: string, pred: (s: JobStatus) => boolean, timeoutMs?: number) =>
      until(`${id} to reach the expected state`, async () => (await q.status()).find((s) => s.id === id && pred(s)), timeoutMs);

    /** Submits jobs `ns`, takes their proofs in order, and returns them with the wall time. */
    async function proveAll(queue: ProofQueue, ns: number[], watch?: () => Promise<void>): Promise<{ proofs: QueuedProof[]; ms: number }> {
      const t0 = Date.now();
      for (const n of ns) await queue.submit(job(n));
      const proofs: QueuedProof[] = [];
      const watching = watch?.();
      for (const n of ns) {
        proofs.push(await queue.next());
        await expectProofOf(proofs.at(-1)!, n);
      }
      await watching;
      return { proofs, ms: Date.now() - t0 };
    }

    it("two workers prove consecutive batches in parallel; proofs come back verified and in order", async function () {
      // The copy's setup.json names the original's files; workers use the copy's own.
      expect(readSetupDir(setupCopy)).to.include({ zkey: path.join(setupCopy, "circuit.zkey"), wasm: path.join(setupCopy, "circuit.wasm") });
      let bothActive: JobStatus[] = [];
      const { proofs, ms } = await proveAll(q, [1, 2, 3, 4], async () => {
        bothActive = await until("two jobs proving at once", async () => {
          const active = (await q.status()).filter((s) => s.state === "active");
          return active.length === 2 && active.every((s) => s.phase === "proving") ? active : undefined;
        });
      });
      expect(new Set(bothActive.map((s) => s.worker))).to.deep.equal(new Set(["w1", "w2"]));
      expect(bothActive.every((s) => s.elapsedMs >= 0 && s.attempts === 1)).to.equal(true);
      expect(new Set(proofs.map((p) => p.worker))).to.deep.equal(new Set(["w1", "w2"]));
      const status = await q.status();
      expect(status.map((s) => [s.id, s.state, s.attempts])).to.deep.equal([1, 2, 3, 4].map((n) => [`batch-${n}`, "completed", 1]));
      for (const [i, s] of status.entries()) expect(s.elapsedMs).to.be.at.least(proofs[i]!.proveMs);
      console.log(`      2 workers, 4 proofs: ${(ms / 1000).toFixed(1)} s (proofs ${proofs.map((p) => (p.proveMs / 1000).toFixed(1)).join(", ")} s)`);

      await q.submit(job(1)); // a resubmission of a finished job: it keeps its proof
      await expectProofOf(await q.next(), 1);
      expect((await rejection(q.submit({ ...job(1), input: { x: 1n, y: 8n } }))).message).to.match(/already in queue "proofs" with a different input/);
    });

    it("a worker killed (SIGKILL) mid-proof: another worker proves its job, and its proving process exits", async function () {
      // Two jobs, so that both workers are busy and the victim's proof takes a while.
      await q.submit(job(5));
      await q.submit(job(6));
      const held = await statusOf("batch-5", (s) => s.state === "active" && s.phase === "proving");
      const victim = held.worker === "w1" ? w1 : w2;
      survivor = held.worker === "w1" ? w2 : w1;
      victim.proc.kill("SIGKILL");
      const killedAt = Date.now();

      const retaken = await statusOf("batch-5", (s) => s.state === "active" && s.worker === survivor.name, 30_000);
      const pickedUpMs = Date.now() - killedAt;
      const r = await q.next();
      const doneMs = Date.now() - killedAt;
      await expectProofOf(r, 5);
      expect(r.worker).to.equal(survivor.name);
      expect(r.attempts).to.equal(2);
      expect(retaken.attempts).to.equal(2);
      await expectProofOf(await q.next(), 6);
      expect((await victim.exited).signal).to.equal("SIGKILL");
      await until("the killed worker's proving process to exit", () => !running(victim.provingPid), 5_000);
      console.log(
        `      killed ${victim.name} holding batch-5: ${survivor.name} took it after ${(pickedUpMs / 1000).toFixed(1)} s, proof verified after ${(doneMs / 1000).toFixed(1)} s`,
      );

      // The survivor alone, for comparison with two workers.
      const { ms } = await proveAll(q, [7, 8, 9, 10]);
      console.log(`      1 worker, 4 proofs: ${(ms / 1000).toFixed(1)} s`);
    });

    it("a job the circuit cannot prove fails for good after its attempts, with the worker's error", async function () {
      await q.submit({ id: "no-y", input: { x: 1n } });
      const err = await rejection(q.next());
      expect(err.message).to.match(new RegExp(`proving job "no-y" failed after 2 attempt\\(s\\): witness computation for circuit "${LABEL}" failed`));
      const s = await statusOf("no-y", () => true);
      expect(s).to.include({ state: "failed", attempts: 2 });
      expect(s.error).to.match(/witness computation/);

      // A wrong expected public signal is not retried: the input itself proves another one.
      await q.submit({ ...job(11), id: "wrong-signal", expectedPublicSignals: [1n] });
      expect((await rejection(q.next())).message).to.match(/failed after 1 attempt\(s\): the input proves public signals .* not the expected \["1"\]/);
    });

    it("rejects the proofs of a worker that returns bad ones, and says which worker", async function () {
      // A worker (in this process) that finds the setup in its cache directory (no setup given)
      // and whose proving backend corrupts every proof after checking it and says it verifies.
      const inner = new ProvingProcess();
      const output: string[] = [];
      const bad = await runWorker({
        redis: redis().url,
        queue: "corrupt",
        name: "w-bad",
        log: (m) => output.push(m),
        backend: {
          get pid() {
            return inner.pid;
          },
          start: () => inner.start(),
          prove: async (...args) => {
            const r = await inner.prove(...args);
            expect(r.verified).to.equal(true);
            return { ...r, proof: corruptProof(r.proof) };
          },
          close: () => inner.close(),
          kill: () => inner.kill(),
        },
      });
      const cq = new BullMQProofQueue(manifest, { redis: redis().url, queue: "corrupt", attempts: 2, backoffMs: 200 });
      try {
        await cq.submit(job(12));
        const err = await rejection(cq.next());
        expect(err.message).to.match(/the proof of "batch-12" from worker w-bad was rejected: the proof does not verify .*2 bad proofs, giving up/);
        expect(output.join("\n").match(/batch-12: proved/g)).to.have.length(2); // it was given a second chance
        expect((await cq.status()).find((s) => s.id === "batch-12")).to.include({ state: "failed", worker: "w-bad" });
      } finally {
        await cq.close();
        const proving = inner.pid;
        await bad.close();
        expect(proving !== undefined && running(proving)).to.equal(false);
      }
    });

    it("SIGTERM: a worker finishes its current proof, then exits cleanly with its proving process", async function () {
      const worker = survivor;
      await q.submit(job(13));
      await statusOf("batch-13", (s) => s.state === "active");
      worker.proc.kill("SIGTERM");
      const r = await q.next();
      await expectProofOf(r, 13);
      expect(r.worker).to.equal(worker.name);
      expect(await worker.exited).to.deep.equal({ code: 0, signal: null });
      expect(running(worker.provingPid)).to.equal(false);
      expect(worker.output).not.to.match(/still open/);
    });
  });
});
