// proofProblem (src/proving/check.ts), the one check of a proof before it is handed out or
// submitted: signals of the circuit's count in canonical form, equal to the expected ones, and a
// proof the verifier accepts; anything else is named.
import { expect } from "chai";
import type { Groth16Proof, PublicSignals } from "snarkjs";
import { proofProblem, type ProofVerifier } from "../../src/proving/check.js";
import { holdCurve } from "../../src/proving/curve.js";

/** A verifier that accepts exactly the proof `{ ok: true }` and throws for a non-object. */
const fake: ProofVerifier = {
  async verify(proof: Groth16Proof, _signals: PublicSignals) {
    if (typeof proof !== "object" || proof === null) throw new Error("not a proof");
    return (proof as unknown as { ok?: boolean }).ok === true;
  },
};
const good = { ok: true };

describe("proofProblem: the check before a proof is used", () => {
  let release: () => Promise<void>;
  before(() => (release = holdCurve())); // proofProblem builds snarkjs's shared curve: let it go after
  after(() => release());

  it("accepts the expected signals (bigint or decimal) with a proof that verifies", async () => {
    expect(await proofProblem(fake, 2, { proof: good, publicSignals: ["7", "0"] }, [7n, 0n])).to.equal(undefined);
    expect(await proofProblem(fake, 2, { proof: good, publicSignals: ["7", "0"] }, ["7", "0"])).to.equal(undefined);
    expect(await proofProblem(fake, 1, { proof: good, publicSignals: ["5"] })).to.equal(undefined);
  });

  it("names malformed or unexpected signals, a proof that does not verify and a malformed proof", async () => {
    const problem = (r: { proof?: unknown; publicSignals?: unknown }, expected?: (bigint | string)[]) => proofProblem(fake, 2, r, expected);
    expect(await problem({ proof: good, publicSignals: ["7"] })).to.match(/^malformed public signals \(the circuit has 2\): \["7"\]/);
    expect(await problem({ proof: good, publicSignals: ["07", "0"] })).to.match(/^malformed public signals/);
    expect(await problem({ proof: good, publicSignals: [7, 0] })).to.match(/^malformed public signals/);
    expect(await problem({ proof: good })).to.match(/^malformed public signals/);
    expect(await problem({ proof: good, publicSignals: ["7", "1"] }, [7n, 0n])).to.equal('public signals ["7","1"] differ from the expected ["7","0"]');
    expect(await problem({ proof: good, publicSignals: ["7", "0"] }, [7n])).to.match(/differ from the expected \["7"\]/);
    expect(await problem({ proof: { ok: false }, publicSignals: ["7", "0"] }, [7n, 0n])).to.equal("the proof does not verify against the verification key");
    expect(await problem({ proof: "junk", publicSignals: ["7", "0"] })).to.equal("malformed proof (not a proof)");
  });
});
