// The fast development ptau's native engine (native/prover/ptau_new.cpp, `zkr-prover ptau-new`):
// for the same seed it writes the file the JS engine writes, byte for byte (powers 1 to 12, one
// or two threads), and snarkjs's `powersoftau verify` accepts it; the choice between the engines
// (auto falls back to JS when the native program cannot be built or fails, saying why once, with
// the same bytes; native then throws; js never builds it); bad arguments and bad plans are refused
// with a one-line reason and leave no file.
// Needs g++ (OpenMP), nasm and libgmp-dev (scripts/ensure-witness-toolchain.sh); skipped without
// them.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { powersOfTau } from "snarkjs";
import { withCurve } from "../../src/proving/curve.js";
import { type FastPtauOptions, generateFastDevPtau } from "../../src/proving/fastptau.js";
import { buildNativeProver, type NativeProver, NativeProverUnavailable, NativePtauNewError, nativePtauNew } from "../../src/proving/native.js";
import { devPtau } from "../../src/proving/ptau.js";
import { rejection, skipWithoutNativeToolchain, useTempCache } from "./fixtures.js";

describe("fastptau: the native engine, byte-identical to the JS one", function () {
  const cache = useTempCache();
  let work = "";
  let native: NativeProver;

  before(async function () {
    await skipWithoutNativeToolchain(this);
    native = await buildNativeProver();
    work = path.join(cache(), "work");
    mkdirSync(work, { recursive: true });
  });

  const noTemp = () => expect(readdirSync(work).filter((f) => f.includes(".tmp-"))).to.deep.equal([]);

  /** Both engines' files for one seed: their sha256 and which engine wrote each. */
  async function both(power: number, seedByte: number, nativeOpts: FastPtauOptions = {}) {
    const seed = new Uint8Array(32).fill(seedByte);
    const js = await generateFastDevPtau(power, path.join(work, `js${power}-${seedByte}.ptau`), { seed, engine: "js" });
    const nat = await generateFastDevPtau(power, path.join(work, `native${power}-${seedByte}.ptau`), { seed, engine: "native", ...nativeOpts });
    return { js, nat };
  }

  for (const power of [1, 2, 5, 8, 10, 12]) {
    it(`writes the bytes the JS engine writes: 2^${power}`, async function () {
      const { js, nat } = await both(power, power);
      expect(js.engine).to.equal("js");
      expect(nat.engine).to.equal("native");
      expect(readFileSync(nat.path).length).to.equal(readFileSync(js.path).length);
      expect(nat.sha256).to.equal(js.sha256);
      noTemp();
    });
  }

  it("the same bytes on one thread and with another seed; snarkjs verifies the native file", async function () {
    const { js, nat } = await both(9, 0xa5, { threads: 1 });
    expect(nat.sha256).to.equal(js.sha256);
    const t0 = Date.now();
    expect(await withCurve(() => powersOfTau.verify(nat.path))).to.equal(true);
    console.log(`      snarkjs verify of the native 2^9 file: ${Date.now() - t0} ms`);
  });

  it("auto uses it and logs which engine wrote the file; devPtau passes the engine on", async function () {
    const logs: string[] = [];
    const a = await generateFastDevPtau(6, path.join(work, "auto6.ptau"), { log: (m) => logs.push(m) });
    expect(a.engine).to.equal("native");
    expect(logs.some((l) => /^fast ptau 2\^6: native point sections in [\d.]+ s on \d+ threads/.test(l))).to.equal(true);
    expect(logs.at(-1)).to.match(/fast development ptau 2\^6 written to .* \(native\)$/);
    const dev = await devPtau(3, { sharedPtauDir: path.join(cache(), "no-shared"), fastEngine: "js" });
    expect(dev).to.deep.include({ power: 3, kind: "development" });
  });

  describe("the choice of engine", function () {
    /** A compiler that is not one: the toolchain check fails, so the native program cannot be built. */
    function brokenCxx(): string {
      const cxx = path.join(work, "broken-g++");
      writeFileSync(cxx, "#!/bin/sh\necho 'no compiler here' >&2\nexit 1\n");
      chmodSync(cxx, 0o755);
      return cxx;
    }

    /**
     * A "compiler" that passes the toolchain checks and "builds" quickly a zkr-prover that fails
     * like the native program does: every run prints one reason and exits with code 1.
     */
    function failingBuildCxx(): string {
      const cxx = path.join(work, "failing-prover-g++");
      writeFileSync(
        cxx,
        [
          "#!/bin/sh",
          'case " $* " in',
          '  *" -E "*|*" --version "*) exec g++ "$@" ;;', // the toolchain checks: the real compiler
          "esac",
          'out=""; prev=""',
          'for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done',
          'if [ "$(basename "$out")" = zkr-prover ]; then',
          '  printf \'#!/bin/sh\\necho "zkr-prover ptau-new: simulated failure" >&2\\nexit 1\\n\' > "$out"',
          '  chmod +x "$out"',
          "else",
          '  : > "$out"',
          "fi",
          "",
        ].join("\n"),
      );
      chmodSync(cxx, 0o755);
      return cxx;
    }

    it("auto falls back to JS when the native program cannot be built, saying why once, with the same bytes; native then throws", async function () {
      const cxx = brokenCxx();
      const seed = new Uint8Array(32).fill(3);
      const lines: string[] = [];
      const log = (m: string) => lines.push(m);
      const a = await generateFastDevPtau(4, path.join(work, "fb-a.ptau"), { seed, log, nativeBuild: { cxx } });
      const b = await generateFastDevPtau(4, path.join(work, "fb-b.ptau"), { seed, log, nativeBuild: { cxx } });
      const ref = await generateFastDevPtau(4, path.join(work, "fb-native.ptau"), { seed, engine: "native" });
      expect([a.engine, b.engine]).to.deep.equal(["js", "js"]);
      expect(a.sha256).to.equal(ref.sha256);
      expect(b.sha256).to.equal(ref.sha256);
      const reasons = lines.filter((l) => l.includes("using the JS fast ptau"));
      expect(reasons).to.have.length(1);
      expect(reasons[0]).to.match(/^native prover unavailable: missing .*broken-g\+\+ \(Debian package g\+\+\).*; using the JS fast ptau$/);
      const e = await rejection(generateFastDevPtau(4, path.join(work, "fb-c.ptau"), { seed, engine: "native", nativeBuild: { cxx } }));
      expect(e).to.be.instanceOf(NativeProverUnavailable);
      expect(existsSync(path.join(work, "fb-c.ptau"))).to.equal(false);
      noTemp();
    });

    it("auto falls back to JS when the native program fails, removing its partial file; native then throws its reason", async function () {
      const cxx = failingBuildCxx();
      const seed = new Uint8Array(32).fill(4);
      const lines: string[] = [];
      const a = await generateFastDevPtau(5, path.join(work, "fr-a.ptau"), { seed, log: (m) => lines.push(m), nativeBuild: { cxx } });
      expect(a.engine).to.equal("js");
      expect(a.sha256).to.equal((await generateFastDevPtau(5, path.join(work, "fr-b.ptau"), { seed, engine: "js" })).sha256);
      expect(lines.filter((l) => l.includes("using the JS fast ptau"))).to.deep.equal([
        "native ptau new failed: simulated failure (exit code 1); using the JS fast ptau",
      ]);
      const e = await rejection(generateFastDevPtau(5, path.join(work, "fr-c.ptau"), { seed, engine: "native", nativeBuild: { cxx } }));
      expect(e).to.be.instanceOf(NativePtauNewError);
      expect(e.message).to.equal("native ptau new failed: simulated failure (exit code 1)");
      expect(existsSync(path.join(work, "fr-c.ptau"))).to.equal(false);
      noTemp();
    });

    it("js never builds or runs the native program", async function () {
      const cxx = brokenCxx();
      const lines: string[] = [];
      const r = await generateFastDevPtau(3, path.join(work, "js-only.ptau"), { engine: "js", log: (m) => lines.push(m), nativeBuild: { cxx } });
      expect(r.engine).to.equal("js");
      expect(lines.some((l) => /native|unavailable/.test(l))).to.equal(false);
    });
  });

  describe("refuses bad input with a one-line reason, leaving no file", function () {
    it("a power out of range, an unknown engine, an unwritable path", async function () {
      const bad = path.join(work, "bad.ptau");
      for (const p of [0, 28, 2.5]) {
        expect((await rejection(generateFastDevPtau(p, bad, { engine: "native" }))).message).to.equal(`fast development ptau power must be 1..27, got ${p}`);
      }
      const e = await rejection(generateFastDevPtau(2, bad, { engine: "fast" as never }));
      expect(e.message).to.equal('fast ptau engine must be auto, native, js, got "fast"');
      const notADir = path.join(work, "plain-file");
      writeFileSync(notADir, "");
      const u = await rejection(generateFastDevPtau(2, path.join(notADir, "sub", "x.ptau"), { engine: "native" }));
      expect(u.message).to.match(/^cannot write the development ptau .*plain-file\/sub\/x\.ptau: ENOTDIR: not a directory/);
      expect(u.message.split("\n")).to.have.length(1);
      expect(existsSync(bad)).to.equal(false);
      noTemp();
    });

    describe("plans zkr-prover ptau-new refuses (exit code 1, nothing written)", function () {
      const hex = (n: number, v = "0") => v.repeat(n);
      const head = ["zkr-ptau-plan 1", `challenge ${hex(128)}`, `pubkey ${hex(1536)}`];
      const one = hex(63) + "1";
      const cases: [string, string[], RegExp][] = [
        ["another format", ["zkr-ptau-plan 2", ...head.slice(1), "end"], /^native ptau new failed: plan: not a zkr-ptau-plan 1/],
        ["a challenge too short", [head[0]!, `challenge ${hex(126)}`, head[2]!, "end"], /plan: the challenge must be 128 hex digits/],
        ["no points", [...head, "end"], /plan: no points/],
        ["a chunk outside a section", [...head, `geometric 1 ${one} ${one}`, "end"], /plan: line 4: a chunk outside a section/],
        ["a scalar not below r", [...head, "section G1 0 1 1", `geometric 1 ${"f".repeat(64)} ${one}`, "end"], /plan: line 5 value 1 is not below r/],
        [
          "a chunk longer than its section",
          [...head, "section G1 0 2 0", `geometric 3 ${one} ${one}`, "end"],
          /plan: line 5: a chunk of 3 points \(at most 2\)/,
        ],
        ["a section short of points", [...head, "section G2 0 2 0", `geometric 1 ${one} ${one}`, "end"], /plan: line 6: the section before it lacks 1 points/],
        ["no end", [...head, "section G1 0 1 0", `geometric 1 ${one} ${one}`], /plan: ends after line 5 without "end"/],
      ];
      for (const [name, lines, reason] of cases) {
        it(name, async function () {
          const file = path.join(work, "plan-target.ptau");
          writeFileSync(file, "");
          const e = await rejection(nativePtauNew(native, file, lines.join("\n") + "\n"));
          expect(e).to.be.instanceOf(NativePtauNewError);
          expect(e.message).to.match(reason);
          expect(e.message).to.match(/\(exit code 1\)$/);
          expect(readFileSync(file).length).to.equal(0);
        });
      }

      it("a file that does not exist (it never creates one)", async function () {
        const file = path.join(work, "missing.ptau");
        const e = await rejection(nativePtauNew(native, file, [...head, "section G1 0 1 0", `geometric 1 ${one} ${one}`, "end", ""].join("\n")));
        expect(e.message).to.match(/^native ptau new failed: cannot open .*missing\.ptau: No such file or directory \(exit code 1\)$/);
        expect(existsSync(file)).to.equal(false);
      });
    });
  });
});
