import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { network } from "hardhat";
import { groth16 } from "snarkjs";
import { BN254_BASE_FIELD, poseidonHasher, SNARK_FIELD } from "../../src/model/crypto.js";
import { REPO_ROOT } from "../../src/util/paths.js";
import { buildContracts, type SetupResult, setupCircuit } from "../../src/proving/setup.js";
import { type Groth16Proof, type ProofResult, Prover } from "../../src/proving/prover.js";
import { packGroth16Proof, verifierCallArgs } from "../../src/proving/proof.js";
import { rejection, tinyMain, useTempCache } from "./fixtures.js";
import { ContractFactory } from "ethers";
import { readArtifact } from "../../src/chain/artifacts.js";

const LABEL = "zkrtest_prover_tiny";

/** A valid point, but not the proof's: A negated. */
function tamperProof(proof: Groth16Proof): Groth16Proof {
  return { ...proof, pi_a: [proof.pi_a[0]!, (BN254_BASE_FIELD - BigInt(proof.pi_a[1]!)).toString(), proof.pi_a[2]!] };
}

describe("prover: Groth16 proofs for a set-up circuit", function () {
  const cache = useTempCache();
  let setup: SetupResult;
  let prover: Prover;
  let real: ProofResult;
  let expectedOut: bigint;

  before(async function () {
    setup = await setupCircuit(LABEL, tinyMain(2));
    prover = new Prover(setup.manifest);
    expectedOut = (await poseidonHasher())([7n, 11n]);
    real = await prover.prove({ x0: 7n, x1: "11" });
    console.log(`      tiny circuit (${setup.manifest.constraints} constraints): witness ${real.witnessMs.toFixed(0)} ms, prove ${real.proveMs.toFixed(0)} ms`);
  });

  after(async function () {
    await prover?.close();
  });

  it("proves: the public signal is the circuit's output, and the proof verifies", async function () {
    expect(real.publicSignals).to.deep.equal([expectedOut.toString()]);
    expect(real.proof.protocol).to.equal("groth16");
    expect(real.witnessMs).to.be.greaterThan(0);
    expect(real.proveMs).to.be.greaterThan(0);
    expect(await prover.verify(real.proof, real.publicSignals)).to.equal(true);
  });

  it("rejects a tampered public signal or proof", async function () {
    expect(await prover.verify(real.proof, [(expectedOut + 1n).toString()])).to.equal(false);
    expect(await prover.verify(real.proof, [(expectedOut + SNARK_FIELD).toString()])).to.equal(false);
    expect(await prover.verify(tamperProof(real.proof), real.publicSignals)).to.equal(false);
    const other = await prover.prove({ x0: 7n, x1: 12n });
    expect(await prover.verify(other.proof, real.publicSignals)).to.equal(false);
  });

  it("reports an input the circuit cannot take, naming the circuit", async function () {
    const err = await rejection(prover.prove({ x0: 1n }));
    expect(err.message).to.match(new RegExp(`witness computation for circuit "${LABEL}" failed: .*`));
  });

  it("orders the proof as exportSolidityCallData does (B's Fp2 coordinates swapped)", async function () {
    const calldata = JSON.parse(`[${await groth16.exportSolidityCallData(real.proof, real.publicSignals)}]`) as [string[], string[][], string[], string[]];
    const [a, b, c, pub] = calldata;
    expect(packGroth16Proof(real.proof)).to.deep.equal([...a, ...b[0]!, ...b[1]!, ...c].map((x) => BigInt(x)));
    expect(packGroth16Proof(real.proof)[2]).to.equal(BigInt(real.proof.pi_b[0]![1]!));
    expect(verifierCallArgs(real.proof, real.publicSignals)[3]).to.deep.equal(pub.map((x) => BigInt(x)));
  });

  it("the exported Solidity verifier accepts the real proof and rejects tampered and aliased ones", async function () {
    await buildContracts([setup.verifierPath!]);
    const connection = await network.connect();
    try {
      // Deployed from the artifact on disk (src/chain/deploy.ts): an HRE created earlier in the test run
      // does not see artifacts built after it started.
      const artifact = readArtifact(setup.manifest.contractName);
      const [signer] = await connection.ethers.getSigners();
      const verifier = await new ContractFactory(artifact.abi, artifact.bytecode, signer).deploy();
      await verifier.waitForDeployment();
      const [pA, pB, pC, pub] = verifierCallArgs(real.proof, real.publicSignals);
      expect(await verifier.getFunction("verifyProof")(pA, pB, pC, pub)).to.equal(true);
      const gas = await verifier.getFunction("verifyProof").estimateGas(pA, pB, pC, pub);
      console.log(`      verifyProof gas (1 public signal): ${gas}`);

      const [tA, tB, tC] = verifierCallArgs(tamperProof(real.proof), real.publicSignals);
      expect(await verifier.getFunction("verifyProof")(tA, tB, tC, pub)).to.equal(false);
      expect(await verifier.getFunction("verifyProof")(pA, pB, pC, [pub[0]! + 1n])).to.equal(false);
      // The same field element as x + r: valid for the pairing, refused by the range check.
      expect(await verifier.getFunction("verifyProof")(pA, pB, pC, [pub[0]! + SNARK_FIELD])).to.equal(false);
      // B without the coordinate swap is not the proof either.
      const unswapped = [real.proof.pi_b[0]!.slice(0, 2), real.proof.pi_b[1]!.slice(0, 2)].map((r) => r.map((x) => BigInt(x)));
      expect(await verifier.getFunction("verifyProof")(pA, unswapped, pC, pub)).to.equal(false);
    } finally {
      await connection.close();
    }
  });

  it("lets a process that used it exit by itself after close()", async function () {
    // A child process proves from the setup directory and closes the prover; without
    // close() snarkjs's worker threads would keep it alive until the timeout kills it.
    const script = `
      import { Prover } from ${JSON.stringify(path.join(REPO_ROOT, "src", "proving", "prover.ts"))};
      const p = Prover.fromSetupDir(${JSON.stringify(path.dirname(setup.manifest.zkey))});
      const r = await p.prove({ x0: 7, x1: 11 });
      if (!(await p.verify(r.proof, r.publicSignals))) throw new Error("bad proof");
      await p.close();
      console.log(r.publicSignals[0]);
    `;
    const file = path.join(cache(), "exit-check.mts");
    writeFileSync(file, script);
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", file], {
      cwd: REPO_ROOT,
      timeout: 30_000,
    });
    expect(stdout.trim()).to.equal(expectedOut.toString());
  });

  it("refuses to work once closed", async function () {
    const p = new Prover(setup.manifest);
    await p.close();
    await p.close(); // idempotent
    expect((await rejection(p.prove({ x0: 1n, x1: 2n }))).message).to.match(/closed/);
  });
});
