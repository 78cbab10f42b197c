// Rollup.sol logic with a mock verifier: access control, calldata shape checks, input-hash
// parity with lib/inputHash.ts, state transitions and events, gas. The verifier itself is
// exercised with real proofs elsewhere.
import { expect } from "chai";
import { Contract, ContractFactory, ZeroAddress } from "ethers";
import { network } from "hardhat";
import { SNARK_FIELD } from "../../lib/crypto.js";
import { deployRollup, readArtifact } from "../../lib/deploy.js";
import { computeInputHash } from "../../lib/inputHash.js";
import { type DerivedParams, getInstance, instances, TEST_INSTANCE } from "../../lib/params.js";
import { expectEvent, expectRevert, mined, nestedCallGas, seededBelow, seededBytes } from "./helpers.js";

const { ethers } = await network.connect();
const [deployer, sequencer, other] = await ethers.getSigners();
const chainId = (await ethers.provider.getNetwork()).chainId;

const GENESIS = seededBelow("genesis", SNARK_FIELD);

/** A fresh Rollup (called by the sequencer) over a fresh MockVerifier, via the CLI's deploy code. */
async function deployWithMock(params: DerivedParams = getInstance(TEST_INSTANCE)) {
  const d = await deployRollup({
    signer: deployer!,
    verifierArtifact: "MockVerifier",
    params,
    genesisRoot: GENESIS,
    sequencer: sequencer!.address,
  });
  const mock = new Contract(d.verifierAddress, readArtifact("MockVerifier").abi, deployer);
  return { ...d, rollup: d.rollup.connect(sequencer!), mock, params };
}
type Fixture = Awaited<ReturnType<typeof deployWithMock>>;

/** Well-formed random batch data with `txCount` posted transactions. */
function batchData(p: DerivedParams, txCount: number, seed: string) {
  return {
    newRoot: seededBelow(`${seed}/root`, SNARK_FIELD),
    feeIdx: seededBytes(`${seed}/fee`, p.feeSlots * p.idxBytes),
    txData: seededBytes(`${seed}/tx`, txCount * p.txBytes),
  };
}

function proofFor(seed: string): bigint[] {
  return Array.from({ length: 8 }, (_, i) => seededBelow(`${seed}/proof/${i}`, SNARK_FIELD));
}

/** The input hash lib/inputHash.ts computes for the rollup's next batch. */
async function expectedInputHash(f: Fixture, b: ReturnType<typeof batchData>): Promise<bigint> {
  return computeInputHash(
    {
      oldRoot: await f.rollup.stateRoot(),
      newRoot: b.newRoot,
      chainId,
      rollupAddress: BigInt(f.rollupAddress),
      batchNumber: (await f.rollup.batchNumber()) + 1n,
      feeIdxData: b.feeIdx,
      txData: b.txData,
    },
    f.params,
  );
}

/** Pins the mock to this proof and the TS input hash, then submits the batch. */
async function submitValid(f: Fixture, b: ReturnType<typeof batchData>, seed: string) {
  const proof = proofFor(seed);
  await mined(f.mock.expectCall(proof, await expectedInputHash(f, b)));
  return mined(f.rollup.submitBatch(b.newRoot, b.feeIdx, b.txData, proof));
}

describe("Rollup (mock verifier)", () => {
  describe("deployment", () => {
    for (const p of Object.values(instances())) {
      it(`stores the parameters of ${p.name}`, async () => {
        const f = await deployWithMock(p);
        const r = f.rollup;
        expect(await r.verifier()).to.equal(f.verifierAddress);
        expect([await r.depth(), await r.batchSize(), await r.feeSlots()]).to.deep.equal(
          [p.depth, p.batchSize, p.feeSlots].map(BigInt),
        );
        expect([await r.idxBytes(), await r.txBytes()]).to.deep.equal([BigInt(p.idxBytes), BigInt(p.txBytes)]);
        expect(await r.genesisRoot()).to.equal(GENESIS);
        expect(await r.stateRoot()).to.equal(GENESIS);
        expect(await r.batchNumber()).to.equal(0n);
        expect(await r.sequencer()).to.equal(sequencer!.address);
        expect(await r.SNARK_FIELD()).to.equal(SNARK_FIELD);
        expectEvent(f.rollupReceipt, r, "SequencerChanged", [ZeroAddress, sequencer!.address]);
        expect(f.blockNumber).to.equal(f.rollupReceipt.blockNumber);
        expect(f.verifierReceipt!.blockNumber).to.be.lessThan(f.blockNumber);
        expect(f.chainId).to.equal(chainId);
      });
    }

    it("rejects bad constructor arguments", async () => {
      const verifier = (await deployWithMock()).verifierAddress;
      const art = readArtifact("Rollup");
      const factory = new ContractFactory(art.abi, art.bytecode, deployer);
      const seq = sequencer!.address;
      const deploy = (...args: unknown[]) => factory.deploy(...args);
      await expectRevert(deploy(verifier, GENESIS, seq, 0, 2, 1), factory, "InvalidParameters");
      await expectRevert(deploy(verifier, GENESIS, seq, 17, 2, 1), factory, "InvalidParameters");
      await expectRevert(deploy(verifier, GENESIS, seq, 4, 0, 1), factory, "InvalidParameters");
      await expectRevert(deploy(verifier, GENESIS, seq, 4, 2, 0), factory, "InvalidParameters");
      await expectRevert(deploy(verifier, GENESIS, ZeroAddress, 4, 2, 1), factory, "ZeroAddress");
      await expectRevert(deploy(ZeroAddress, GENESIS, seq, 4, 2, 1), factory, "ZeroAddress");
      await expectRevert(deploy(other!.address, GENESIS, seq, 4, 2, 1), factory, "VerifierNotContract");
      await expectRevert(deploy(verifier, SNARK_FIELD, seq, 4, 2, 1), factory, "RootNotInField", [SNARK_FIELD]);
      await mined(deploy(verifier, SNARK_FIELD - 1n, seq, 16, 1, 1).then((c) => c.deploymentTransaction()!));
    });

    it("deployRollup reuses a deployed verifier and rejects bad options", async () => {
      const first = await deployWithMock();
      const params = getInstance(TEST_INSTANCE);
      const base = { signer: deployer!, params, genesisRoot: GENESIS, sequencer: sequencer!.address };
      const second = await deployRollup({ ...base, verifierAddress: first.verifierAddress });
      expect(second.verifierReceipt).to.equal(undefined);
      expect(await second.rollup.verifier()).to.equal(first.verifierAddress);
      expect(second.rollupAddress).to.not.equal(first.rollupAddress);

      const rejects = async (opts: Parameters<typeof deployRollup>[0], message: RegExp) => {
        let error: unknown;
        await deployRollup(opts).catch((e: unknown) => (error = e));
        expect(String(error)).to.match(message);
      };
      await rejects({ ...base, verifierAddress: other!.address }, /no contract at verifier address/);
      await rejects({ ...base }, /exactly one of verifierArtifact and verifierAddress/);
      await rejects({ ...base, verifierAddress: first.verifierAddress, verifierArtifact: "MockVerifier" }, /exactly one/);
      await rejects({ ...base, verifierArtifact: "NoSuchVerifier" }, /no artifact for contract NoSuchVerifier.*hardhat build/);
      await rejects({ ...base, verifierArtifact: "MockVerifier", genesisRoot: SNARK_FIELD }, /not a field element/);
      await rejects({ ...base, verifierArtifact: "MockVerifier", params: { ...params, depth: 0 } }, /InvalidParameters\(\)/);
    });
  });

  describe("inputHash", () => {
    for (const p of Object.values(instances())) {
      const counts = [...new Set([0, 1, Math.floor(p.batchSize / 2), p.batchSize])];
      it(`matches lib/inputHash.ts for ${p.name} with ${counts.join(", ")} transactions`, async () => {
        const f = await deployWithMock(p);
        for (const n of counts) {
          const b = batchData(p, n, `${p.name}/${n}`);
          expect(await f.rollup.inputHash(b.newRoot, b.feeIdx, b.txData)).to.equal(await expectedInputHash(f, b));
        }
        // Extreme values: every byte set, roots at r - 1.
        const full = {
          newRoot: SNARK_FIELD - 1n,
          feeIdx: new Uint8Array(p.feeSlots * p.idxBytes).fill(0xff),
          txData: new Uint8Array(p.batchSize * p.txBytes).fill(0xff),
        };
        expect(await f.rollup.inputHash(full.newRoot, full.feeIdx, full.txData)).to.equal(
          await expectedInputHash(f, full),
        );
      });
    }

    it("follows the stored root and batch number", async () => {
      const f = await deployWithMock();
      const b = batchData(f.params, 1, "follow");
      const before = await f.rollup.inputHash(b.newRoot, b.feeIdx, b.txData);
      await submitValid(f, batchData(f.params, 2, "follow/first"), "follow/first");
      const after = await f.rollup.inputHash(b.newRoot, b.feeIdx, b.txData);
      expect(after).to.not.equal(before);
      expect(after).to.equal(await expectedInputHash(f, b));
    });

    it("binds the rollup address", async () => {
      const [f, g] = [await deployWithMock(), await deployWithMock()];
      const b = batchData(f.params, 1, "address");
      expect(await f.rollup.inputHash(b.newRoot, b.feeIdx, b.txData)).to.not.equal(
        await g.rollup.inputHash(b.newRoot, b.feeIdx, b.txData),
      );
    });
  });

  describe("submitBatch", () => {
    it("accepts a proven batch: updates root and number, emits BatchSubmitted", async () => {
      const f = await deployWithMock();
      const b1 = batchData(f.params, 1, "ok/1");
      const r1 = await submitValid(f, b1, "ok/1");
      expectEvent(r1, f.rollup, "BatchSubmitted", [1n, GENESIS, b1.newRoot, 1n]);
      expect(await f.rollup.stateRoot()).to.equal(b1.newRoot);
      expect(await f.rollup.batchNumber()).to.equal(1n);

      const b2 = batchData(f.params, 0, "ok/2");
      const r2 = await submitValid(f, b2, "ok/2");
      expectEvent(r2, f.rollup, "BatchSubmitted", [2n, b1.newRoot, b2.newRoot, 0n]);
      expect(await f.rollup.stateRoot()).to.equal(b2.newRoot);
      expect(await f.rollup.batchNumber()).to.equal(2n);
    });

    it("finds the batch calldata through the event's transaction", async () => {
      const f = await deployWithMock();
      const b = batchData(f.params, 2, "indexer");
      await submitValid(f, b, "indexer");
      const [log] = await f.rollup.queryFilter(f.rollup.filters.BatchSubmitted!(1n), f.blockNumber);
      const tx = await ethers.provider.getTransaction(log!.transactionHash);
      const call = f.rollup.interface.parseTransaction(tx!)!;
      expect(call.name).to.equal("submitBatch");
      expect(call.args[0]).to.equal(b.newRoot);
      expect(ethers.getBytes(call.args[1])).to.deep.equal(b.feeIdx);
      expect(ethers.getBytes(call.args[2])).to.deep.equal(b.txData);
    });

    it("rejects a batch the verifier rejects, changing nothing", async () => {
      const f = await deployWithMock();
      const b = batchData(f.params, 1, "reject");
      await mined(f.mock.setResult(false));
      await expectRevert(f.rollup.submitBatch(b.newRoot, b.feeIdx, b.txData, proofFor("reject")), f.rollup, "InvalidProof");
      expect(await f.rollup.stateRoot()).to.equal(GENESIS);
      expect(await f.rollup.batchNumber()).to.equal(0n);
    });

    it("passes the verifier the proof in order and the input hash of the posted data", async () => {
      const f = await deployWithMock();
      const b = batchData(f.params, 2, "forward");
      const proof = proofFor("forward");
      await mined(f.mock.expectCall(proof, await expectedInputHash(f, b)));
      const submit = (newRoot: bigint, fee: Uint8Array, tx: Uint8Array, pf: bigint[]) =>
        expectRevert(f.rollup.submitBatch(newRoot, fee, tx, pf), f.rollup, "InvalidProof");
      const flipped = (bytes: Uint8Array, i: number) => bytes.map((x, j) => (j === i ? x ^ 1 : x));
      await submit(b.newRoot + 1n, b.feeIdx, b.txData, proof);
      await submit(b.newRoot, flipped(b.feeIdx, 0), b.txData, proof);
      await submit(b.newRoot, b.feeIdx, flipped(b.txData, b.txData.length - 1), proof);
      await submit(b.newRoot, b.feeIdx, b.txData.subarray(0, f.params.txBytes), proof);
      await submit(b.newRoot, b.feeIdx, b.txData, [...proof.slice(0, 2), proof[3]!, proof[2]!, ...proof.slice(4)]);
      await submitValid(f, b, "forward");
      expect(await f.rollup.stateRoot()).to.equal(b.newRoot);
    });

    it("accepts batches only from the sequencer", async () => {
      const f = await deployWithMock();
      const b = batchData(f.params, 1, "access");
      const proof = proofFor("access");
      for (const caller of [deployer!, other!]) {
        await expectRevert(f.rollup.connect(caller).submitBatch(b.newRoot, b.feeIdx, b.txData, proof), f.rollup, "NotSequencer");
      }
    });

    it("rejects malformed batch data", async () => {
      const f = await deployWithMock();
      const p = f.params;
      const { newRoot, feeIdx, txData } = batchData(p, 1, "shape");
      const proof = proofFor("shape");
      const feeLength = BigInt(p.feeSlots * p.idxBytes);
      const maxTx = BigInt(p.batchSize * p.txBytes);
      const cases: [bigint, Uint8Array, Uint8Array, string, bigint[]][] = [
        [SNARK_FIELD, feeIdx, txData, "RootNotInField", [SNARK_FIELD]],
        [2n ** 256n - 1n, feeIdx, txData, "RootNotInField", [2n ** 256n - 1n]],
        [newRoot, feeIdx.subarray(1), txData, "BadFeeDataLength", [feeLength - 1n, feeLength]],
        [newRoot, new Uint8Array(Number(feeLength) + 1), txData, "BadFeeDataLength", [feeLength + 1n, feeLength]],
        [newRoot, feeIdx, txData.subarray(1), "BadTxDataLength", [BigInt(p.txBytes - 1), maxTx]],
        [newRoot, feeIdx, new Uint8Array(p.txBytes + 1), "BadTxDataLength", [BigInt(p.txBytes + 1), maxTx]],
        [newRoot, feeIdx, new Uint8Array((p.batchSize + 1) * p.txBytes), "BadTxDataLength", [maxTx + BigInt(p.txBytes), maxTx]],
      ];
      for (const [root, fee, tx, error, args] of cases) {
        await expectRevert(f.rollup.submitBatch(root, fee, tx, proof), f.rollup, error, args);
        await expectRevert(f.rollup.inputHash(root, fee, tx), f.rollup, error, args);
      }
      expect(await f.rollup.batchNumber()).to.equal(0n);
    });
  });

  describe("setSequencer", () => {
    it("hands the role over, only from the sequencer, never to zero", async () => {
      const f = await deployWithMock();
      await expectRevert(f.rollup.connect(other!).setSequencer(other!.address), f.rollup, "NotSequencer");
      await expectRevert(f.rollup.setSequencer(ZeroAddress), f.rollup, "ZeroAddress");

      const receipt = await mined(f.rollup.setSequencer(other!.address));
      expectEvent(receipt, f.rollup, "SequencerChanged", [sequencer!.address, other!.address]);
      expect(await f.rollup.sequencer()).to.equal(other!.address);

      const b = batchData(f.params, 1, "handover");
      await expectRevert(f.rollup.submitBatch(b.newRoot, b.feeIdx, b.txData, proofFor("x")), f.rollup, "NotSequencer");
      await expectRevert(f.rollup.setSequencer(sequencer!.address), f.rollup, "NotSequencer");
      await submitValid({ ...f, rollup: f.rollup.connect(other!) }, b, "handover");
      expect(await f.rollup.batchNumber()).to.equal(1n);
    });
  });

  describe("gas", () => {
    it("reports submitBatch gas per instance; Rollup's own execution stays small", async () => {
      const rows: string[] = [];
      for (const p of Object.values(instances())) {
        for (const n of [0, p.batchSize]) {
          const f = await deployWithMock(p);
          const receipt = await submitValid(f, batchData(p, n, `gas/${p.name}/${n}`), `gas/${p.name}/${n}`);
          const data = ethers.getBytes((await ethers.provider.getTransaction(receipt.hash))!.data);
          const calldata = data.reduce((g, byte) => g + (byte === 0 ? 4n : 16n), 0n);
          const mock = await nestedCallGas(ethers.provider, receipt.hash);
          const own = receipt.gasUsed - 21_000n - calldata - mock;
          rows.push(
            `${p.name.padEnd(13)} ${String(n).padStart(2)} txs: total ${receipt.gasUsed} = 21000 + calldata ${calldata}` +
              ` + Rollup ${own} + inside mock verifier ${mock}`,
          );
          // Rollup's execution apart from the verifier's own: 2 cold slots read and written
          // (10,000), the verifier call, sha256, the event, ABI decoding. Pinned to see growth.
          expect(Number(own)).to.be.lessThan(23_000);
        }
      }
      console.log(`      submitBatch gas (a real verifier adds its pairing check instead of the mock's cost):`);
      console.log(rows.map((r) => `        ${r}`).join("\n"));
    });
  });
});
