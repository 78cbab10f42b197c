// Rollup.sol with a mock verifier: deployment and genesis root, token registration, public-input
// parity with src/model/publicInputs.ts, submitBatch (access, calldata shape, L1 queue consumption, crediting
// of L1 results and exits), and a gas report. Deposits and withdrawals are in Bridge.test.ts, the
// escape hatch in Escape.test.ts; the verifier itself is exercised with real proofs elsewhere.
import { expect } from "chai";
import { ContractFactory, id, ZeroAddress, ZeroHash } from "ethers";
import { concatBytes, toBytesBE } from "../../src/model/bytes.js";
import { poseidonHasher, SNARK_FIELD } from "../../src/model/crypto.js";
import { deployRollup, MOCK_VERIFIER_KEY_HASH } from "../../src/chain/deploy.js";
import { readArtifact } from "../../src/chain/artifacts.js";
import { decodeFloat, encodeFloat, FLOAT40 } from "../../src/model/float.js";
import { type DerivedParams, deriveParams } from "../../src/model/params.js";
import { getInstance, instances, TEST_INSTANCE } from "../../src/proving/instances.js";
import type { BatchData } from "../../src/model/batchData.js";
import { type BatchPublicData, coefficientCount, publicSignalsFor } from "../../src/model/publicInputs.js";
import { AccountTree } from "../../src/model/tree.js";
import { encodeTransfer } from "../../src/model/tx.js";
import {
  alice,
  bob,
  carol,
  chainId,
  deployer,
  deployWithMock,
  ethers,
  type Fixture,
  mockFallback,
  ModelSequencer,
  proofFor,
  sequencer,
  sharedPoseidon,
  TEST_POLICY,
} from "./fixture.js";
import { expectEvent, expectRevert, mined, seededBelow, seededBytes } from "./helpers.js";

const hash = await poseidonHasher();
const ONE_ETH = 10n ** 18n;

/**
 * Well-formed random batch data with `txCount` posted transactions and `l1Count` results (the
 * last transaction's `from` made non-zero: padding is never posted).
 */
function batchData(p: DerivedParams, txCount: number, seed: string, l1Count = 0): BatchData {
  const txData = seededBytes(`${seed}/tx`, txCount * p.txBytes);
  if (txCount > 0) txData[(txCount - 1) * p.txBytes] |= 0x80;
  return {
    newRoot: seededBelow(`${seed}/root`, SNARK_FIELD),
    l1Count,
    l1Results: seededBytes(`${seed}/l1`, 16 * l1Count),
    feeIdx: seededBytes(`${seed}/fee`, p.feeSlots * p.idxBytes),
    txData,
    commitment: seededBelow(`${seed}/commitment`, SNARK_FIELD),
  };
}

/** The batch's public data as src/model/publicInputs.ts takes it, the queue hash taken from the model. */
async function publicData(f: Fixture, b: Omit<BatchData, "commitment">): Promise<BatchPublicData> {
  const processed = Number(await f.rollup.l1Processed());
  const queue = await (await ModelSequencer.create(f)).queue();
  const end = processed + b.l1Count;
  return {
    ...b,
    oldRoot: await f.rollup.stateRoot(),
    chainId,
    rollupAddress: BigInt(f.d.rollupAddress),
    l1HashEnd: end === 0 ? 0n : queue[end - 1]!.chainHash,
  };
}

/** The public signals src/model/publicInputs.ts computes for the rollup's next batch with the posted commitment. */
async function expectedSignals(f: Fixture, b: BatchData): Promise<[bigint, bigint]> {
  return publicSignalsFor(await publicData(f, b), f.params, b.commitment);
}

/** The contract's publicInputs view for `b`. */
const viewSignals = async (f: Fixture, b: BatchData) =>
  [...(await f.rollup.publicInputs(b.newRoot, b.l1Count, b.l1Results, b.feeIdx, b.txData, b.commitment))] as bigint[];

const submit = (f: Fixture, b: BatchData, proof: bigint[]) => f.rollup.submitBatch(b.newRoot, b.l1Count, b.l1Results, b.feeIdx, b.txData, b.commitment, proof);

/** Pins the mock to this proof and the TS public signals, then submits the batch. */
async function submitValid(f: Fixture, b: BatchData, seed: string) {
  const proof = proofFor(seed);
  await mined(f.mock.expectCall(proof, await expectedSignals(f, b)));
  return mined(submit(f, b, proof));
}

/** Queues `n` ETH deposits creating accounts (owners alternate between alice and bob). */
async function queueDeposits(f: Fixture, n: number) {
  for (let i = 0; i < n; i++) {
    await mined(f.as(i % 2 ? bob : alice).depositETH(1000n + BigInt(i), 2000n + BigInt(i), { value: ONE_ETH + BigInt(i) + f.fee }));
  }
}

async function deployToken(name = "Token") {
  return ethers.deployContract("TestERC20", [name, name.toUpperCase()], deployer);
}

describe("Rollup (mock verifier)", () => {
  describe("deployment", () => {
    for (const p of Object.values(instances())) {
      it(`stores the parameters of ${p.name}; genesis root is the empty tree's`, async () => {
        const f = await deployWithMock({ params: p, escapeDelay: 86_400n });
        const r = f.rollup;
        const poseidon = await sharedPoseidon();
        expect(await r.verifier()).to.equal(f.d.verifierAddress);
        expect(await r.verifyingKeyHash()).to.equal(MOCK_VERIFIER_KEY_HASH);
        expect(await f.mock.getFunction("MOCK_KEY_HASH")()).to.equal(MOCK_VERIFIER_KEY_HASH);
        expect([await r.inactivityDelay(), await r.l1Grace(), await r.l1OpFee(), await r.minDeposit(), await r.minDepositOf(0)]).to.deep.equal([
          TEST_POLICY.inactivityDelay,
          TEST_POLICY.l1Grace,
          TEST_POLICY.l1OpFee,
          TEST_POLICY.minDeposit,
          TEST_POLICY.minDeposit,
        ]);
        expect(await r.lastBatchAt()).to.equal(0n);
        expect([await r.poseidon3(), await r.poseidon4(), await r.poseidon5(), await r.poseidon8()]).to.deep.equal([
          poseidon[3],
          poseidon[4],
          poseidon[5],
          poseidon[8],
        ]);
        expect(f.d.poseidon).to.deep.equal(poseidon);
        expect([await r.depth(), await r.batchSize(), await r.l1Slots(), await r.feeSlots()]).to.deep.equal(
          [p.depth, p.batchSize, p.l1Slots, p.feeSlots].map(BigInt),
        );
        expect([await r.idxBytes(), await r.txBytes()]).to.deep.equal([BigInt(p.idxBytes), BigInt(p.txBytes)]);
        expect(await r.escapeDelay()).to.equal(86_400n);
        const empty = new AccountTree(p.depth, hash).root;
        expect(await r.genesisRoot()).to.equal(empty);
        expect(await r.stateRoot()).to.equal(empty);
        expect(await r.admin()).to.equal(deployer.address);
        expect(await r.sequencer()).to.equal(sequencer.address);
        for (const counter of [r.batchNumber, r.l1Processed, r.l1OpCount, r.accountCount]) expect(await counter()).to.equal(0n);
        expect(await r.tokenCount()).to.equal(1n);
        expect(await r.escapeMode()).to.equal(false);
        expect(await r.escapeAllowedAfter()).to.equal(2n ** 256n - 1n);
        expect(await r.SNARK_FIELD()).to.equal(SNARK_FIELD);
        expect([await r.CREATE(), await r.DEPOSIT(), await r.FORCE_EXIT()]).to.deep.equal([1n, 2n, 3n]);
        expectEvent(f.d.rollupReceipt, r, "SequencerChanged", [ZeroAddress, sequencer.address]);
        expect(f.d.blockNumber).to.equal(f.d.rollupReceipt.blockNumber);
        expect(f.d.verifierReceipt!.blockNumber).to.be.lessThan(f.d.blockNumber);
        expect(f.d.chainId).to.equal(chainId);
      });
    }

    it("rejects bad constructor arguments", async () => {
      const f = await deployWithMock();
      const v = f.d.verifierAddress;
      const [p3, p4, p5, p8] = [f.d.poseidon[3], f.d.poseidon[4], f.d.poseidon[5], f.d.poseidon[8]];
      const art = readArtifact("Rollup");
      const factory = new ContractFactory(art.abi, art.bytecode, deployer);
      const ok = {
        sequencer: sequencer.address,
        depth: 4,
        batchSize: 2,
        l1Slots: 2,
        feeSlots: 1,
        escapeDelay: 3600n,
        inactivityDelay: 3600n,
        l1Grace: 600n,
        l1OpFee: 1n,
        minDeposit: 1n,
        verifyingKeyHash: MOCK_VERIFIER_KEY_HASH,
        fallbackBatchSize: 1,
        fallbackL1Slots: 1,
        fallbackFeeSlots: 1,
        fallbackVerifyingKeyHash: MOCK_VERIFIER_KEY_HASH,
        fallbackDelay: 1800n,
      };
      const contracts = [v, v, p3, p4, p5, p8];
      const deploy = (c: Partial<typeof ok> = {}, addresses = contracts) => factory.deploy(...addresses, { ...ok, ...c });
      const bad: Partial<typeof ok>[] = [
        { depth: 0 },
        { depth: 17 },
        { batchSize: 0 },
        { l1Slots: 0 },
        { feeSlots: 0 },
        { escapeDelay: 0n },
        { escapeDelay: 2n ** 64n, inactivityDelay: 1n, l1Grace: 0n },
        { inactivityDelay: 0n },
        { inactivityDelay: 3601n }, // longer than the escape delay
        { l1Grace: 3600n }, // not shorter than the escape delay
        { l1OpFee: 2n ** 128n },
        { minDeposit: 0n },
        { minDeposit: 2n ** 128n },
        { fallbackBatchSize: 0 },
        { fallbackL1Slots: 0 },
        { fallbackFeeSlots: 0 },
        { fallbackDelay: 0n },
        { fallbackDelay: 3600n }, // not shorter than the escape delay
      ];
      for (const c of bad)
        await expectRevert(deploy(c), factory, "InvalidParameters").catch((e: unknown) =>
          expect.fail(`${JSON.stringify(c, (_, x) => (typeof x === "bigint" ? String(x) : x))}: ${e}`),
        );
      // The edges that are allowed: no grace, the inactivity delay equal to the escape delay, no fee.
      await (await deploy({ l1Grace: 0n, inactivityDelay: 3600n, l1OpFee: 0n, minDeposit: 2n ** 128n - 1n })).waitForDeployment();
      // l1Count ‖ feeIdx must fit one 31-byte coefficient: 1 + F·idxBytes ≤ 31 (at D = 16, F ≤ 7).
      await expectRevert(deploy({ depth: 16, feeSlots: 8 }), factory, "InvalidParameters");
      await expectRevert(deploy({ depth: 16, fallbackFeeSlots: 8 }), factory, "InvalidParameters");
      await (await deploy({ depth: 16, feeSlots: 7 })).waitForDeployment();
      expect(() => deriveParams({ name: "x", description: "", depth: 16, batchSize: 1, l1Slots: 1, feeSlots: 8 })).to.throw(/at most 30/);
      await expectRevert(deploy({ sequencer: ZeroAddress }), factory, "ZeroAddress");
      for (const i of [0, 1, 2, 3, 4, 5]) {
        await expectRevert(
          deploy(
            {},
            contracts.map((a, j) => (j === i ? ZeroAddress : a)),
          ),
          factory,
          "ZeroAddress",
        );
        await expectRevert(
          deploy(
            {},
            contracts.map((a, j) => (j === i ? alice.address : a)),
          ),
          factory,
          "NotContract",
          [alice.address],
        );
      }
      // A verifier of another key, or a contract that is no verifier, is refused.
      const other = id("another key");
      await expectRevert(deploy({ verifyingKeyHash: other }), factory, "VerifyingKeyMismatch", [other, MOCK_VERIFIER_KEY_HASH]);
      await expectRevert(deploy({}, [p3, v, p3, p4, p5, p8]), factory, "VerifyingKeyMismatch", [MOCK_VERIFIER_KEY_HASH, ZeroHash]);
      // The fallback verifier's key is checked the same way.
      await expectRevert(deploy({ fallbackVerifyingKeyHash: other }), factory, "VerifyingKeyMismatch", [other, MOCK_VERIFIER_KEY_HASH]);
      await expectRevert(deploy({}, [v, p3, p3, p4, p5, p8]), factory, "VerifyingKeyMismatch", [MOCK_VERIFIER_KEY_HASH, ZeroHash]);
      // Every tree shape computes its empty root in the constructor as src/model/tree.ts does: 2D mod 3
      // = 0 (no 4-ary root level), 1 (a 4-ary root holding 1 bit), 2 (holding 2 bits); 16 is the largest.
      for (const depth of [3, 2, 16]) {
        const c = await deploy({ depth });
        await c.waitForDeployment();
        expect(await c.getFunction("genesisRoot")(), `depth ${depth}`).to.equal(new AccountTree(depth, hash).root);
      }
    });

    it("deployRollup deploys or reuses Poseidon and verifier contracts and rejects bad options", async () => {
      const first = await deployWithMock();
      const params = getInstance(TEST_INSTANCE);
      const base = { signer: deployer, params, sequencer: sequencer.address, verifyingKeyHash: MOCK_VERIFIER_KEY_HASH, fallback: mockFallback(params) };

      const fresh = await deployRollup({ ...base, verifierAddress: first.d.verifierAddress });
      expect(fresh.verifierReceipt).to.equal(undefined);
      expect(fresh.poseidonReceipts).to.have.length(6); // Poseidon(3, 4, 5), Poseidon(8) and its 2 tables
      expect(fresh.poseidon[4]).to.not.equal(first.d.poseidon[4]);
      expect(await fresh.rollup.verifier()).to.equal(first.d.verifierAddress);
      expect(await fresh.rollup.genesisRoot()).to.equal(await first.rollup.genesisRoot());
      // src/chain/deploy.ts's production defaults.
      expect(fresh.policy).to.deep.equal({
        escapeDelay: 7n * 24n * 3600n,
        inactivityDelay: 24n * 3600n,
        l1Grace: 3600n,
        fallbackDelay: 6n * 3600n,
        l1OpFee: 10n ** 15n,
        minDeposit: 10n ** 15n,
      });
      expect([
        await fresh.rollup.escapeDelay(),
        await fresh.rollup.inactivityDelay(),
        await fresh.rollup.l1Grace(),
        await fresh.rollup.fallbackDelay(),
        await fresh.rollup.l1OpFee(),
        await fresh.rollup.minDeposit(),
      ]).to.deep.equal(Object.values(fresh.policy));
      const reused = await deployRollup({ ...base, verifierAddress: first.d.verifierAddress, poseidon: first.d.poseidon });
      expect(reused.poseidonReceipts).to.equal(undefined);
      expect(await reused.rollup.poseidon8()).to.equal(first.d.poseidon[8]);

      const rejects = async (opts: Parameters<typeof deployRollup>[0], message: RegExp) => {
        let error: unknown;
        await deployRollup(opts).catch((e: unknown) => (error = e));
        expect(String(error)).to.match(message);
      };
      const v = { verifierAddress: first.d.verifierAddress };
      await rejects({ ...base, verifierAddress: alice.address }, /no contract at verifier address/);
      await rejects({ ...base }, /exactly one of the verifier's artifact and address/);
      await rejects({ ...base, ...v, verifierArtifact: "MockVerifier" }, /exactly one/);
      await rejects({ ...base, verifierArtifact: "NoSuchVerifier" }, /no artifact for contract NoSuchVerifier.*hardhat build/);
      await rejects({ ...base, ...v, escapeDelay: 0n }, /escape delay/);
      await rejects({ ...base, ...v, escapeDelay: 60n, inactivityDelay: 61n }, /inactivity delay must be 1 \.\. the escape delay \(60\)/);
      await rejects({ ...base, ...v, escapeDelay: 60n, l1Grace: 60n }, /L1 grace must be 0 \.\.< the escape delay/);
      await rejects({ ...base, ...v, minDeposit: 0n }, /minimum deposit/);
      await rejects({ ...base, ...v, l1OpFee: 2n ** 128n }, /L1-operation fee/);
      await rejects({ ...base, ...v, verifyingKeyHash: "0x12" }, /verifyingKeyHash must be 32 bytes/);
      await rejects({ ...base, ...v, fallback: { ...base.fallback, verifyingKeyHash: "0x12" } }, /fallback verifyingKeyHash must be 32 bytes/);
      await rejects({ ...base, ...v, fallback: { ...base.fallback, verifierAddress: v.verifierAddress } }, /exactly one of the fallback verifier's/);
      await rejects({ ...base, ...v, fallback: { ...base.fallback, params: getInstance("bench_d12_b1") } }, /fallback instance bench_d12_b1 has depth 12/);
      await rejects({ ...base, ...v, fallback: undefined as never }, /needs its fallback verifier/);
      await rejects({ ...base, ...v, escapeDelay: 60n, fallbackDelay: 60n }, /fallback delay must be 1 \.\.< the escape delay \(60\)/);
      await rejects({ ...base, ...v, verifyingKeyHash: id("another key") }, /VerifyingKeyMismatch\(/);
      // Shorter escape delays shrink the defaults of the other three with them.
      const short = await deployRollup({ ...base, ...v, poseidon: first.d.poseidon, escapeDelay: 60n });
      expect([short.policy.inactivityDelay, short.policy.l1Grace, short.policy.fallbackDelay]).to.deep.equal([60n, 30n, 15n]);
      const p = first.d.poseidon;
      await rejects({ ...base, ...v, poseidon: { ...p, 4: p[5] } }, /not a 4-input Poseidon/);
      await rejects({ ...base, ...v, poseidon: { ...p, 8: p[3] } }, /not a 8-input Poseidon/);
      await rejects({ ...base, ...v, poseidon: { ...p, 3: alice.address } }, /no contract at Poseidon\(3\) address/);
      const d0 = { ...params, depth: 0 };
      await rejects({ ...base, ...v, params: d0, fallback: mockFallback(d0) }, /InvalidParameters\(\)/);
      await rejects({ ...base, ...v, params: { ...params, l1Slots: 0 } }, /InvalidParameters\(\)/);
    });
  });

  describe("registerToken", () => {
    it("assigns sequential ids from 1, only for the admin, once per token", async () => {
      const f = await deployWithMock();
      const [t1, t2] = [await deployToken("One"), await deployToken("Two")];
      const admin = f.as(deployer);
      await expectRevert(f.as(alice).registerToken(await t1.getAddress(), 1n), f.rollup, "NotAdmin");
      await expectRevert(f.rollup.registerToken(await t1.getAddress(), 1n), f.rollup, "NotAdmin");

      expect(await admin.registerToken.staticCall(await t1.getAddress(), 5n)).to.equal(1n);
      for (const bad of [0n, 2n ** 128n]) await expectRevert(admin.registerToken(await t1.getAddress(), bad), f.rollup, "BadMinDeposit", [bad]);
      expectEvent(await mined(admin.registerToken(await t1.getAddress(), 5n)), f.rollup, "TokenRegistered", [1n, await t1.getAddress(), 5n]);
      expectEvent(await mined(admin.registerToken(await t2.getAddress(), 2n ** 128n - 1n)), f.rollup, "TokenRegistered", [
        2n,
        await t2.getAddress(),
        2n ** 128n - 1n,
      ]);
      expect([await f.rollup.minDepositOf(1), await f.rollup.minDepositOf(2), await f.rollup.minDepositOf(3)]).to.deep.equal([5n, 2n ** 128n - 1n, 0n]);
      expect(await f.rollup.tokenCount()).to.equal(3n);
      expect(await f.rollup.tokenAddress(1)).to.equal(await t1.getAddress());
      expect(await f.rollup.tokenAddress(2)).to.equal(await t2.getAddress());
      expect(await f.rollup.tokenAddress(0)).to.equal(ZeroAddress);
      expect(await f.rollup.tokenIdOf(await t2.getAddress())).to.equal(2n);

      await expectRevert(admin.registerToken(await t1.getAddress(), 1n), f.rollup, "TokenAlreadyRegistered", [await t1.getAddress(), 1n]);
      await expectRevert(admin.registerToken(ZeroAddress, 1n), f.rollup, "ZeroAddress");
      await expectRevert(admin.registerToken(alice.address, 1n), f.rollup, "NotContract", [alice.address]);
      expect(await f.rollup.tokenCount()).to.equal(3n);
    });
  });

  describe("publicInputs", () => {
    // The registered instances, and parameter sets (no circuit needed: the Rollup takes them as
    // constructor values) so that the coefficient count m + 1 takes every residue mod 4 (the
    // evaluation loop goes four words at a time) and a batch of hundreds is covered.
    const priced = [10, 448].map((n) => deriveParams({ name: `d12_n${n}`, description: "parity only", depth: 12, batchSize: n, l1Slots: 4, feeSlots: 2 }));
    for (const p of [...Object.values(instances()), ...priced]) {
      it(`matches src/model/publicInputs.ts for ${p.name} (${coefficientCount(p) + 1} words) over transaction and L1-operation counts`, async () => {
        const f = await deployWithMock({ params: p });
        await queueDeposits(f, p.l1Slots + 1);
        const txCounts = [...new Set([0, 1, 2, 3, Math.floor(p.batchSize / 2), p.batchSize - 1, p.batchSize].filter((n) => n >= 0 && n <= p.batchSize))];
        for (const l1Count of [...new Set([0, 1, p.l1Slots])]) {
          for (const n of txCounts) {
            const b = batchData(p, n, `${p.name}/${n}/${l1Count}`, l1Count);
            expect(await viewSignals(f, b)).to.deep.equal(await expectedSignals(f, b));
          }
        }
        // Extreme values: every byte set, roots and commitment at r - 1.
        const full = {
          newRoot: SNARK_FIELD - 1n,
          l1Count: p.l1Slots,
          l1Results: new Uint8Array(16 * p.l1Slots).fill(0xff),
          feeIdx: new Uint8Array(p.feeSlots * p.idxBytes).fill(0xff),
          txData: new Uint8Array(p.batchSize * p.txBytes).fill(0xff),
          commitment: SNARK_FIELD - 1n,
        };
        expect(await viewSignals(f, full)).to.deep.equal(await expectedSignals(f, full));
      });
    }

    it("ignores whatever follows txData in the calldata (the last coefficient is masked)", async () => {
      const f = await deployWithMock();
      const p = f.params;
      for (const n of [1, 2, p.batchSize]) {
        const b = batchData(p, n, `mask/${n}`);
        const data = f.rollup.interface.encodeFunctionData("publicInputs", [b.newRoot, b.l1Count, b.l1Results, b.feeIdx, b.txData, b.commitment]);
        // txData is the last dynamic argument: its zero padding ends the calldata. Set that padding
        // to 0xff and append 32 more bytes of 0xff.
        const bytes = Buffer.from(data.slice(2), "hex");
        const end = bytes.length - ((32 - (b.txData.length % 32)) % 32);
        expect(bytes.subarray(end - b.txData.length, end).equals(Buffer.from(b.txData))).to.equal(true);
        const dirty = "0x" + Buffer.concat([bytes.subarray(0, end), Buffer.alloc(bytes.length - end + 32, 0xff)]).toString("hex");
        const out = f.rollup.interface.decodeFunctionResult("publicInputs", await ethers.provider.call({ to: f.d.rollupAddress, data: dirty }));
        expect([...out[0]]).to.deep.equal(await expectedSignals(f, b));
      }
    });

    it("follows the stored root and queue position, and uses l1HashEnd = 0 before any queued operation", async () => {
      const f = await deployWithMock();
      const b = batchData(f.params, 1, "follow");
      const empty = await viewSignals(f, b);
      expect(empty).to.deep.equal(await expectedSignals(f, b));
      await queueDeposits(f, 3);
      expect(await viewSignals(f, b)).to.deep.equal(empty); // nothing consumed: l1HashEnd is still h_0 = 0
      await submitValid(f, batchData(f.params, 0, "follow/first", 2), "follow/first");
      const after = await viewSignals(f, b);
      expect(after).to.not.deep.equal(empty);
      expect(after).to.deep.equal(await expectedSignals(f, b));
    });

    it("binds the rollup address and the commitment, and rejects a commitment outside the field", async () => {
      const [f, g] = [await deployWithMock(), await deployWithMock()];
      const b = batchData(f.params, 1, "address");
      const mine = await viewSignals(f, b);
      expect(await viewSignals(g, b)).to.not.deep.equal(mine);
      const other = await viewSignals(f, { ...b, commitment: b.commitment + 1n });
      expect(other[0]).to.not.equal(mine[0]);
      expect(other[1]).to.not.equal(mine[1]);
      await expectRevert(viewSignals(f, { ...b, commitment: SNARK_FIELD }), f.rollup, "NotInField", [SNARK_FIELD]);
      await expectRevert(submit(f, { ...b, commitment: SNARK_FIELD }, proofFor("c")), f.rollup, "NotInField", [SNARK_FIELD]);
    });
  });

  describe("submitBatch", () => {
    it("accepts a proven batch: root, number, queue pointer and BatchSubmitted", async () => {
      const f = await deployWithMock();
      await queueDeposits(f, 3);
      const b1 = batchData(f.params, 1, "ok/1", 2);
      b1.l1Results.fill(0);
      const r1 = await submitValid(f, b1, "ok/1");
      expectEvent(r1, f.rollup, "BatchSubmitted", [1n, await f.rollup.genesisRoot(), b1.newRoot, 2n, 1n]);
      expect([await f.rollup.stateRoot(), await f.rollup.batchNumber(), await f.rollup.l1Processed()]).to.deep.equal([b1.newRoot, 1n, 2n]);

      const b2 = batchData(f.params, 0, "ok/2", 1);
      b2.l1Results.fill(0);
      const r2 = await submitValid(f, b2, "ok/2");
      expectEvent(r2, f.rollup, "BatchSubmitted", [2n, b1.newRoot, b2.newRoot, 1n, 0n]);
      expect([await f.rollup.stateRoot(), await f.rollup.batchNumber(), await f.rollup.l1Processed()]).to.deep.equal([b2.newRoot, 2n, 3n]);

      // The queue is empty now: a batch with no operation and no transaction is still accepted.
      const b3 = batchData(f.params, 0, "ok/3");
      expectEvent(await submitValid(f, b3, "ok/3"), f.rollup, "BatchSubmitted", [3n, b2.newRoot, b3.newRoot, 0n, 0n]);
    });

    it("lets an indexer find the batch calldata through the event's transaction", async () => {
      const f = await deployWithMock();
      await queueDeposits(f, 1);
      const b = batchData(f.params, 2, "indexer", 1);
      await submitValid(f, b, "indexer");
      const [log] = await f.rollup.queryFilter(f.rollup.filters.BatchSubmitted!(1n), f.d.blockNumber);
      const tx = await ethers.provider.getTransaction(log!.transactionHash);
      const call = f.rollup.interface.parseTransaction(tx!)!;
      expect(call.name).to.equal("submitBatch");
      expect(call.args[0]).to.equal(b.newRoot);
      expect(call.args[1]).to.equal(1n);
      expect(ethers.getBytes(call.args[2])).to.deep.equal(b.l1Results);
      expect(ethers.getBytes(call.args[3])).to.deep.equal(b.feeIdx);
      expect(ethers.getBytes(call.args[4])).to.deep.equal(b.txData);
    });

    it("rejects a batch the verifier rejects, changing nothing", async () => {
      const f = await deployWithMock();
      await queueDeposits(f, 1);
      const b = batchData(f.params, 1, "reject", 1);
      await mined(f.mock.setResult(false));
      await expectRevert(submit(f, b, proofFor("reject")), f.rollup, "InvalidProof");
      expect([await f.rollup.stateRoot(), await f.rollup.batchNumber(), await f.rollup.l1Processed()]).to.deep.equal([await f.rollup.genesisRoot(), 0n, 0n]);
    });

    it("passes the verifier the proof in order and the public signals of exactly the posted data", async () => {
      const f = await deployWithMock();
      await queueDeposits(f, 2);
      const b = batchData(f.params, 2, "forward", 1);
      const proof = proofFor("forward");
      await mined(f.mock.expectCall(proof, await expectedSignals(f, b)));
      const flipped = (bytes: Uint8Array, i: number) => bytes.map((x, j) => (j === i ? x ^ 1 : x));
      const variants: [BatchData, bigint[]][] = [
        [{ ...b, newRoot: b.newRoot + 1n }, proof],
        [{ ...b, feeIdx: flipped(b.feeIdx, 0) }, proof],
        [{ ...b, l1Results: flipped(b.l1Results, 15) }, proof],
        [{ ...b, l1Count: 2, l1Results: concatBytes([b.l1Results, new Uint8Array(16)]) }, proof],
        [{ ...b, l1Count: 0, l1Results: new Uint8Array(0) }, proof],
        [{ ...b, txData: flipped(b.txData, b.txData.length - 1) }, proof],
        [{ ...b, txData: b.txData.subarray(0, f.params.txBytes) }, proof],
        [{ ...b, commitment: b.commitment + 1n }, proof],
        [b, [...proof.slice(0, 2), proof[3]!, proof[2]!, ...proof.slice(4)]],
      ];
      for (const [data, pf] of variants) await expectRevert(submit(f, data, pf), f.rollup, "InvalidProof");
      await submitValid(f, b, "forward");
      expect(await f.rollup.stateRoot()).to.equal(b.newRoot);
    });

    it("accepts batches only from the sequencer", async () => {
      const f = await deployWithMock();
      const b = batchData(f.params, 1, "access");
      for (const caller of [deployer, alice]) {
        await expectRevert(f.as(caller).submitBatch(b.newRoot, 0, b.l1Results, b.feeIdx, b.txData, b.commitment, proofFor("a")), f.rollup, "NotSequencer");
      }
    });

    it("rejects malformed batch data and consuming more operations than queued or than the slots", async () => {
      const f = await deployWithMock();
      const p = f.params;
      await queueDeposits(f, p.l1Slots + 1);
      const { newRoot, feeIdx, txData } = batchData(p, 1, "shape");
      const res = (k: number) => new Uint8Array(16 * k);
      const feeLength = BigInt(p.feeSlots * p.idxBytes);
      const maxTx = BigInt(p.batchSize * p.txBytes);
      const cases: [bigint, number, Uint8Array, Uint8Array, Uint8Array, string, bigint[]][] = [
        [SNARK_FIELD, 0, res(0), feeIdx, txData, "NotInField", [SNARK_FIELD]],
        [2n ** 256n - 1n, 0, res(0), feeIdx, txData, "NotInField", [2n ** 256n - 1n]],
        [newRoot, p.l1Slots + 1, res(p.l1Slots + 1), feeIdx, txData, "TooManyL1Ops", [BigInt(p.l1Slots + 1), BigInt(p.l1Slots)]],
        [newRoot, 1, res(0), feeIdx, txData, "BadL1ResultsLength", [0n, 16n]],
        [newRoot, 1, res(2), feeIdx, txData, "BadL1ResultsLength", [32n, 16n]],
        [newRoot, 0, res(1), feeIdx, txData, "BadL1ResultsLength", [16n, 0n]],
        [newRoot, 0, res(0), feeIdx.subarray(1), txData, "BadFeeDataLength", [feeLength - 1n, feeLength]],
        [newRoot, 0, res(0), new Uint8Array(Number(feeLength) + 1), txData, "BadFeeDataLength", [feeLength + 1n, feeLength]],
        [newRoot, 0, res(0), feeIdx, txData.subarray(1), "BadTxDataLength", [BigInt(p.txBytes - 1), maxTx]],
        [newRoot, 0, res(0), feeIdx, new Uint8Array(p.txBytes + 1), "BadTxDataLength", [BigInt(p.txBytes + 1), maxTx]],
        [newRoot, 0, res(0), feeIdx, new Uint8Array((p.batchSize + 1) * p.txBytes), "BadTxDataLength", [maxTx + BigInt(p.txBytes), maxTx]],
      ];
      for (const [root, k, results, fee, tx, error, args] of cases) {
        await expectRevert(f.rollup.submitBatch(root, k, results, fee, tx, 0n, proofFor("s")), f.rollup, error, args);
        await expectRevert(f.rollup.publicInputs(root, k, results, fee, tx, 0n), f.rollup, error, args);
      }
      // Consume all but one queued operation, then ask for two.
      await mined(f.rollup.submitBatch(newRoot, p.l1Slots, res(p.l1Slots), feeIdx, txData, 0n, proofFor("s")));
      await expectRevert(f.rollup.submitBatch(newRoot, 2, res(2), feeIdx, txData, 0n, proofFor("s")), f.rollup, "TooManyL1Ops", [2n, 1n]);
      expect(await f.rollup.batchNumber()).to.equal(1n);
    });

    it("credits each consumed operation's result to its owner and token, skipping zeros", async () => {
      const f = await deployWithMock();
      const token = await deployToken();
      await mined(f.as(deployer).registerToken(await token.getAddress(), 1n));
      await mined(token.getFunction("mint")(bob.address, 10n ** 24n));
      await mined(token.connect(bob).getFunction("approve")(f.d.rollupAddress, 2n ** 256n - 1n));
      await mined(f.as(alice).depositETH(1n, 2n, { value: ONE_ETH + f.fee })); // op 0: CREATE account 1 (ETH)
      await mined(f.as(bob).depositERC20(1, 5n * ONE_ETH, 3n, 4n, { value: f.fee })); // op 1: CREATE account 2 (token 1)
      await mined(f.as(carol).depositETHTo(2, { value: 7n + f.fee })); // op 2: DEPOSIT ETH into a token account
      await mined(f.as(bob).forceExit(2, { value: f.fee })); // op 3: FORCE_EXIT of the token account by its owner
      expect(await f.rollup.l1OpCount()).to.equal(4n);

      // What a batch proves is the circuit's business; the contract credits exactly the posted results.
      const results = [0n, 0n, 7n, 0n];
      const r1 = await mined(
        f.rollup.submitBatch(1n, 2, concatBytes(results.slice(0, 2).map((r) => toBytesBE(r, 16))), new Uint8Array(1), new Uint8Array(), 0n, proofFor("c")),
      );
      // Only the two operations' fees, to the submitter.
      expect(
        r1.logs
          .map((l) => f.rollup.interface.parseLog(l))
          .filter((e) => e?.name === "Credited")
          .map((e) => [...e!.args]),
      ).to.deep.equal([[sequencer.address, 0n, 2n * f.fee]]);
      const r2 = await mined(
        f.rollup.submitBatch(2n, 2, concatBytes([toBytesBE(7n, 16), toBytesBE(2n ** 128n - 1n, 16)]), new Uint8Array(1), new Uint8Array(), 0n, proofFor("c")),
      );
      const credited = r2.logs.map((l) => f.rollup.interface.parseLog(l)).filter((e) => e?.name === "Credited");
      expect(credited.map((e) => [...e!.args])).to.deep.equal([
        [carol.address, 0n, 7n], // the refund of op 2 goes to its depositor, in ETH
        [bob.address, 1n, 2n ** 128n - 1n], // op 3's owner is the account's, its token the account's
        [sequencer.address, 0n, 2n * f.fee], // the fees of ops 2 and 3, to the submitter
      ]);
      expect(await f.rollup.claimable(carol.address, 0)).to.equal(7n);
      expect(await f.rollup.claimable(bob.address, 1)).to.equal(2n ** 128n - 1n);
      for (const [u, t] of [
        [alice, 0],
        [alice, 1],
        [bob, 0],
      ] as const)
        expect(await f.rollup.claimable(u.address, t)).to.equal(0n);
    });

    for (const name of [TEST_INSTANCE, "prod_d12_b32"]) {
      it(`credits exits (to = 0) to the sender account's owner and token, decoding float40 like src/model/float.ts (${name})`, async () => {
        const p = getInstance(name);
        const f = await deployWithMock({ params: p });
        const token = await deployToken();
        await mined(f.as(deployer).registerToken(await token.getAddress(), 1n));
        await mined(token.getFunction("mint")(bob.address, 10n ** 24n));
        await mined(token.connect(bob).getFunction("approve")(f.d.rollupAddress, 2n ** 256n - 1n));
        await mined(f.as(alice).depositETH(1n, 2n, { value: ONE_ETH + f.fee })); // account 1: alice, ETH
        await mined(f.as(bob).depositERC20(1, ONE_ETH, 3n, 4n, { value: f.fee })); // account 2: bob, token 1

        // Random float40 bit patterns (any exponent up to 31) plus the extremes.
        const packed = [0xffffffffffn, (31n << 35n) | 1n, 1n, 0x7ffffffffn, ...Array.from({ length: p.batchSize }, (_, i) => seededBelow(`f/${i}`, 1n << 40n))];
        const owners = [alice.address, bob.address];
        const expected = new Map<string, bigint>();
        let offset = 0;
        while (offset < packed.length) {
          const slots = packed.slice(offset, offset + p.batchSize);
          const txs = slots.map((amountF, i) => {
            const from = BigInt(1 + ((offset + i) % 2));
            const exit = (offset + i) % 3 !== 2; // every third transaction is a transfer, not an exit
            const tx = concatBytes([toBytesBE(from, p.idxBytes), toBytesBE(exit ? 0n : 2n, p.idxBytes), toBytesBE(amountF, 5), toBytesBE(0n, 1)]);
            const amount = decodeFloat(FLOAT40, amountF);
            if (exit && amount > 0n) {
              const key = `${owners[Number(from) - 1]}/${from - 1n}`;
              expected.set(key, (expected.get(key) ?? 0n) + amount);
            }
            return tx;
          });
          const txData = concatBytes(txs);
          await mined(f.rollup.submitBatch(1n, 0, "0x", new Uint8Array(p.feeSlots * p.idxBytes), txData, 0n, proofFor("e")));
          offset += p.batchSize;
        }
        for (const [i, owner] of owners.entries()) {
          for (const t of [0, 1]) {
            expect(await f.rollup.claimable(owner, t), `${owner} token ${t}`).to.equal(t === i ? (expected.get(`${owner}/${t}`) ?? 0n) : 0n);
          }
        }
        expect(expected.get(`${alice.address}/0`)! > 2n ** 128n).to.equal(true); // the max float40 was credited in full

        // Posted padding slots (all zero) are refused (Canonical.test.ts has the encodings).
        const padding = f.rollup.submitBatch(1n, 0, "0x", new Uint8Array(p.feeSlots * p.idxBytes), new Uint8Array(p.batchSize * p.txBytes), 0n, proofFor("e"));
        await expectRevert(padding, f.rollup, "TrailingPadding", [BigInt(p.batchSize - 1)]);
      });
    }

    it("credits an exit encoded by src/model/tx.ts", async () => {
      const f = await deployWithMock();
      await mined(f.as(alice).depositETH(1n, 2n, { value: ONE_ETH + f.fee }));
      const exit = encodeTransfer({ from: 1n, to: 0n, amount: 123456789n * 10n ** 9n, fee: 0n, nonce: 0n }, f.params);
      expect(decodeFloat(FLOAT40, encodeFloat(FLOAT40, 123456789n * 10n ** 9n))).to.equal(123456789n * 10n ** 9n);
      const receipt = await mined(f.rollup.submitBatch(1n, 0, "0x", new Uint8Array(1), exit, 0n, proofFor("x")));
      expectEvent(receipt, f.rollup, "Credited", [alice.address, 0n, 123456789n * 10n ** 9n]);
    });
  });

  describe("setSequencer", () => {
    it("hands the role over, only from the sequencer, never to zero", async () => {
      const f = await deployWithMock();
      await expectRevert(f.as(alice).setSequencer(alice.address), f.rollup, "NotSequencer");
      await expectRevert(f.rollup.setSequencer(ZeroAddress), f.rollup, "ZeroAddress");

      const receipt = await mined(f.rollup.setSequencer(alice.address));
      expectEvent(receipt, f.rollup, "SequencerChanged", [sequencer.address, alice.address]);
      expect(await f.rollup.sequencer()).to.equal(alice.address);

      const b = batchData(f.params, 1, "handover");
      await expectRevert(submit(f, b, proofFor("x")), f.rollup, "NotSequencer");
      await expectRevert(f.rollup.setSequencer(sequencer.address), f.rollup, "NotSequencer");
      await submitValid({ ...f, rollup: f.as(alice) }, b, "handover");
      expect(await f.rollup.batchNumber()).to.equal(1n);
    });
  });
});
