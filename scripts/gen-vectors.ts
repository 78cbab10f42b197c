// Known-answer vectors of the protocol's encodings and hashes, computed once with the TypeScript
// model (src/model/) and committed as test/vectors/kat.json. Three sides read that file and must agree
// with it: the model (test/model/kat.test.ts), the circuit templates (test/circuits/kat.test.ts) and
// the contract (test/contracts/Kat.test.ts).
//
//   node --import tsx scripts/gen-vectors.ts           rewrite test/vectors/kat.json
//   node --import tsx scripts/gen-vectors.ts --check   exit 1 if the file differs from the model
//
// Every vector states all its inputs (small, readable values where the protocol allows) next to
// its outputs, so each one means something on its own. Numbers are decimal strings, packed words
// and byte strings 0x-hex (their bit fields visible).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { MAX_BALANCE, MAX_NONCE, packedState, accountLeaf } from "../src/model/account.js";
import { fromHex, toHex } from "../src/model/bytes.js";
import { loadCrypto, SNARK_FIELD, type ZkrCrypto } from "../src/model/crypto.js";
import { decodeFloat, encodeFloat, FLOAT40, FLOAT8, isRepresentable, type FloatFormat } from "../src/model/float.js";
import { L2Key, signatureChallenge } from "../src/model/keys.js";
import { l1ChainStep, l1OpE1, L1OpKind, type L1Op } from "../src/model/l1op.js";
import { getInstance, TEST_INSTANCE } from "../src/proving/instances.js";
import { REPO_ROOT } from "../src/util/paths.js";
import { batchCoefficients, challengeOf, computePublicInputs, dataCommitment, evaluateAt, type BatchPublicData } from "../src/model/publicInputs.js";
import { domainHash, encodeTransfer, packedAmounts, transferId, transferMessage, type Domain, type Transfer } from "../src/model/tx.js";

export const KAT_FILE = path.join(REPO_ROOT, "test", "vectors", "kat.json");

const dec = (v: bigint) => v.toString();
/** 0x-hex of `v`, zero-padded to `digits` hex digits (so fixed-width fields line up). */
const hex = (v: bigint, digits = 0) => "0x" + v.toString(16).padStart(digits, "0");
const addr = (v: bigint) => hex(v, 40);

/** Hardhat's chain id and a readable rollup address: the domain every transfer vector signs. */
export const KAT_DOMAIN: Domain = { chainId: 31337n, rollupAddress: 0xc0ffeen };
/** L1 owners of the L1-operation vectors. */
const ALICE = 0xa11cen;
const BOB = 0xb0bn;
/** The private key of the transfer vectors: 31 zero bytes and a one. */
const PRIVATE_KEY = "0x" + "00".repeat(31) + "01";

function leafVectors(c: ZkrCrypto) {
  const r = SNARK_FIELD;
  const cases = [
    { name: "all fields zero", ax: 0n, ay: 0n, tokenId: 0n, balance: 0n, nonce: 0n },
    { name: "small fields", ax: 1n, ay: 2n, tokenId: 1n, balance: 1000n, nonce: 3n },
    { name: "ETH account with the largest balance and nonce, key r - 1, r - 2", ax: r - 1n, ay: r - 2n, tokenId: 0n, balance: MAX_BALANCE, nonce: MAX_NONCE },
    { name: "every field at its maximum (token 2^32 - 1)", ax: r - 1n, ay: r - 1n, tokenId: (1n << 32n) - 1n, balance: MAX_BALANCE, nonce: MAX_NONCE },
  ];
  return cases.map((a) => ({
    name: a.name,
    ax: dec(a.ax),
    ay: dec(a.ay),
    tokenId: dec(a.tokenId),
    balance: dec(a.balance),
    nonce: dec(a.nonce),
    // tokenId (8 hex digits) ‖ balance (32) ‖ nonce (8)
    packedState: hex(packedState(a), 48),
    leaf: dec(accountLeaf(c.hash, { ...a, owner: 0n })),
  }));
}

function floatVectors(f: FloatFormat, encode: [string, bigint][], notRepresentable: [string, bigint][], decodeOnly: [string, bigint][], tooWide: bigint[]) {
  const digits = (f.mantissaBits + f.exponentBits) / 4;
  for (const [name, v] of notRepresentable) if (isRepresentable(f, v)) throw new Error(`${f.name}: ${name} is representable`);
  return {
    format: { mantissaBits: f.mantissaBits, exponentBits: f.exponentBits },
    encode: encode.map(([name, value]) => {
      const packed = encodeFloat(f, value);
      return {
        name,
        value: dec(value),
        packed: hex(packed, digits),
        mantissa: dec(packed & ((1n << BigInt(f.mantissaBits)) - 1n)),
        exponent: dec(packed >> BigInt(f.mantissaBits)),
      };
    }),
    notRepresentable: notRepresentable.map(([name, value]) => ({ name, value: dec(value) })),
    decode: decodeOnly.map(([name, packed]) => ({ name, packed: hex(packed, digits), value: dec(decodeFloat(f, packed)) })),
    outOfRange: tooWide.map((p) => hex(p)),
  };
}

function transferVectors(c: ZkrCrypto, key: L2Key) {
  const p = getInstance(TEST_INSTANCE);
  const cases: (Transfer & { name: string })[] = [
    { name: "transfer of 1 ETH (10^18 wei) with a fee of 150", from: 1n, to: 2n, amount: 10n ** 18n, fee: 150n, nonce: 7n },
    { name: "exit (to = 0) of 12345 without a fee", from: 2n, to: 0n, amount: 12345n, fee: 0n, nonce: 3n },
  ];
  const domain = domainHash(c.hash, KAT_DOMAIN);
  return {
    instance: p.name,
    idxBytes: p.idxBytes,
    txBytes: p.txBytes,
    chainId: dec(KAT_DOMAIN.chainId),
    rollupAddress: addr(KAT_DOMAIN.rollupAddress),
    domain: dec(domain),
    privateKey: PRIVATE_KEY,
    ax: dec(key.ax),
    ay: dec(key.ay),
    transfers: cases.map(({ name, ...t }) => {
      const { amountF, feeF } = packedAmounts(t);
      const m = transferMessage(c.hash, t, KAT_DOMAIN, p);
      const sig = key.sign(m);
      return {
        name,
        from: dec(t.from),
        to: dec(t.to),
        amount: dec(t.amount),
        fee: dec(t.fee),
        nonce: dec(t.nonce),
        amountF: hex(amountF, 10),
        feeF: hex(feeF, 2),
        // from ‖ to ‖ amountF ‖ feeF: the posted bytes, and the same bytes as one integer
        calldata: toHex(encodeTransfer(t, p)),
        word: hex(m.word),
        id: dec(transferId(c.hash, t, KAT_DOMAIN, p)),
        signature: { R8x: dec(sig.R8x), R8y: dec(sig.R8y), S: dec(sig.S) },
        challengeHash: dec(c.hash([sig.R8x, sig.R8y, key.ax, key.ay, m.domain, m.word])),
        challenge: hex(signatureChallenge(c.eddsa, sig.R8x, sig.R8y, key.ax, key.ay, m), 32),
      };
    }),
  };
}

function challengeVectors(c: ZkrCrypto) {
  const cases = [
    { name: "inputs 1..6 (no signature: the challenge is defined for any field elements)", R8x: 1n, R8y: 2n, ax: 3n, ay: 4n, domain: 5n, word: 6n },
    {
      name: "every input r - 1",
      R8x: SNARK_FIELD - 1n,
      R8y: SNARK_FIELD - 1n,
      ax: SNARK_FIELD - 1n,
      ay: SNARK_FIELD - 1n,
      domain: SNARK_FIELD - 1n,
      word: SNARK_FIELD - 1n,
    },
  ];
  return cases.map(({ name, ...x }) => ({
    name,
    R8x: dec(x.R8x),
    R8y: dec(x.R8y),
    ax: dec(x.ax),
    ay: dec(x.ay),
    domain: dec(x.domain),
    word: dec(x.word),
    hash: dec(c.hash([x.R8x, x.R8y, x.ax, x.ay, x.domain, x.word])),
    challenge: hex(signatureChallenge(c.eddsa, x.R8x, x.R8y, x.ax, x.ay, x), 32),
  }));
}

function l1Vectors(c: ZkrCrypto) {
  const chain: (L1Op & { name: string })[] = [
    {
      name: "CREATE of account 1 by 0xa11ce: 1000 wei of ETH, key (1, 2)",
      kind: L1OpKind.CREATE,
      accountIdx: 1n,
      tokenId: 0n,
      amount: 1000n,
      owner: ALICE,
      ax: 1n,
      ay: 2n,
    },
    { name: "DEPOSIT of 500 wei into account 1 by 0xb0b", kind: L1OpKind.DEPOSIT, accountIdx: 1n, tokenId: 0n, amount: 500n, owner: BOB, ax: 0n, ay: 0n },
    { name: "FORCE_EXIT of account 1 by its owner 0xa11ce", kind: L1OpKind.FORCE_EXIT, accountIdx: 1n, tokenId: 0n, amount: 0n, owner: ALICE, ax: 0n, ay: 0n },
    {
      name: "CREATE of account 2 by 0xb0b: 700 wei of ETH, key (3, 4)",
      kind: L1OpKind.CREATE,
      accountIdx: 2n,
      tokenId: 0n,
      amount: 700n,
      owner: BOB,
      ax: 3n,
      ay: 4n,
    },
    {
      name: "FORCE_TRANSFER of 300 wei from account 2 to account 1 (ax) by 2's owner 0xb0b",
      kind: L1OpKind.FORCE_TRANSFER,
      accountIdx: 2n,
      tokenId: 0n,
      amount: 300n,
      owner: BOB,
      ax: 1n,
      ay: 0n,
    },
  ];
  let prev = 0n;
  const op = (o: L1Op) => ({
    kind: o.kind,
    accountIdx: dec(o.accountIdx),
    tokenId: dec(o.tokenId),
    amount: dec(o.amount),
    owner: addr(o.owner),
    ax: dec(o.ax),
    ay: dec(o.ay),
  });
  const steps = chain.map(({ name, ...o }) => {
    const hash = l1ChainStep(c.hash, prev, o);
    // kind (2 hex digits) ‖ accountIdx (8) ‖ tokenId (8) ‖ amount (32)
    const v = { name, prev: dec(prev), ...op(o), e1: hex(l1OpE1(o), 50), hash: dec(hash) };
    prev = hash;
    return v;
  });
  const widest: L1Op = {
    kind: L1OpKind.FORCE_EXIT,
    accountIdx: (1n << 32n) - 1n,
    tokenId: (1n << 32n) - 1n,
    amount: MAX_BALANCE,
    owner: (1n << 160n) - 1n,
    ax: SNARK_FIELD - 1n,
    ay: SNARK_FIELD - 1n,
  };
  return {
    chain: steps,
    // fields at their maxima: no L1 queue of a test instance can hold it (accountIdx < 4^D)
    widest: {
      name: "every field at its maximum, after h = r - 1",
      prev: dec(SNARK_FIELD - 1n),
      ...op(widest),
      e1: hex(l1OpE1(widest), 50),
      hash: dec(l1ChainStep(c.hash, SNARK_FIELD - 1n, widest)),
    },
  };
}

function polynomialVectors(c: ZkrCrypto) {
  const cases: [string, bigint[]][] = [
    ["coefficients 1, 2, 3: one commitment step, Poseidon(0, 1, 2, 3)", [1n, 2n, 3n]],
    ["coefficients 1..17: two commitment steps (15, then 2)", Array.from({ length: 17 }, (_, i) => BigInt(i + 1))],
  ];
  return cases.map(([name, coefficients]) => {
    const commitment = dataCommitment(coefficients, c.hash);
    const challenge = challengeOf(coefficients, commitment);
    return {
      name,
      coefficients: coefficients.map(dec),
      commitment: dec(commitment),
      challenge: dec(challenge),
      evaluation: dec(evaluateAt(coefficients, commitment, challenge)),
    };
  });
}

function batchVector(c: ZkrCrypto, transfers: { calldata: string }[], l1HashEnd: bigint) {
  const p = getInstance(TEST_INSTANCE);
  const data: BatchPublicData = {
    oldRoot: 0x0111n,
    newRoot: 0x0222n,
    ...KAT_DOMAIN,
    l1HashEnd,
    l1Count: 2,
    feeIdx: fromHex("0x03"),
    l1Results: fromHex("0x" + 7n.toString(16).padStart(32, "0") + 500n.toString(16).padStart(32, "0")),
    txData: fromHex("0x" + transfers.map((t) => t.calldata.slice(2)).join("")),
  };
  const coefficients = batchCoefficients(data, p);
  const pub = computePublicInputs(data, p, c.hash);
  return {
    name: "a batch of the test instance: 2 L1 operations (results 7 and 500), fee account 3, the transfer and the exit above",
    note: "readable values, not a state transition: l1HashEnd is the chain hash after the first two L1 operations above (the contract test queues them), txData the two transfer vectors' calldata",
    instance: p.name,
    oldRoot: hex(data.oldRoot),
    newRoot: hex(data.newRoot),
    chainId: dec(data.chainId),
    rollupAddress: addr(data.rollupAddress),
    l1HashEnd: dec(data.l1HashEnd),
    l1Count: data.l1Count,
    feeIdxData: toHex(data.feeIdx),
    l1ResultsData: toHex(data.l1Results),
    txData: toHex(data.txData),
    coefficients: coefficients.map((x) => hex(x)),
    commitment: dec(pub.commitment),
    challenge: dec(pub.challenge),
    evaluation: dec(pub.evaluation),
  };
}

/** The whole vector file, as test/vectors/kat.json holds it. */
export async function buildVectors(c?: ZkrCrypto) {
  const crypto = c ?? (await loadCrypto());
  const key = await L2Key.fromPrivateKey(PRIVATE_KEY);
  const transfer = transferVectors(crypto, key);
  const l1 = l1Vectors(crypto);
  const u40 = (1n << 35n) - 1n;
  return {
    about:
      "Known-answer vectors generated by scripts/gen-vectors.ts from the TypeScript model (src/model/); checked against the model (test/model/kat.test.ts), the circuit templates (test/circuits/kat.test.ts) and Rollup.sol (test/contracts/Kat.test.ts). Decimal strings, or 0x-hex for packed words and bytes.",
    accountLeaf: leafVectors(crypto),
    float40: floatVectors(
      FLOAT40,
      [
        ["zero", 0n],
        ["one", 1n],
        ["ten: the smallest exponent, mantissa 10 (not 1 · 10^1)", 10n],
        ["largest mantissa, exponent 0", u40],
        ["2^35 + 2: needs exponent 1", (1n << 35n) + 2n],
        ["1 ETH in wei (10^18)", 10n ** 18n],
        ["largest value: (2^35 - 1) · 10^31", u40 * 10n ** 31n],
      ],
      [
        ["2^35: too many digits, not a multiple of 10", 1n << 35n],
        ["(2^35 - 1) · 10 + 1", u40 * 10n + 1n],
        ["(2^35 - 1) · 10^32: exponent beyond 31", u40 * 10n ** 32n],
      ],
      [
        ["mantissa 1, exponent 1: a non-minimal encoding of 10", (1n << 35n) | 1n],
        ["mantissa 0, exponent 31: zero", 31n << 35n],
        ["mantissa 12345, exponent 3", (3n << 35n) | 12345n],
      ],
      [1n << 40n],
    ),
    float8: floatVectors(
      FLOAT8,
      [
        ["zero", 0n],
        ["15: largest mantissa, exponent 0", 15n],
        ["150", 150n],
        ["10^15", 10n ** 15n],
        ["largest value: 15 · 10^15", 15n * 10n ** 15n],
      ],
      [
        ["16", 16n],
        ["15 · 10^16", 15n * 10n ** 16n],
      ],
      [["mantissa 0, exponent 15: zero", 15n << 4n]],
      [256n],
    ),
    transfer,
    signatureChallenge: challengeVectors(crypto),
    l1Op: l1,
    publicInputs: {
      polynomial: polynomialVectors(crypto),
      batch: batchVector(crypto, transfer.transfers, BigInt(l1.chain[1]!.hash)),
    },
  };
}

/** What test/vectors/kat.json holds. */
export type KatVectors = Awaited<ReturnType<typeof buildVectors>>;

export function serializeVectors(v: KatVectors): string {
  return JSON.stringify(v, null, 2) + "\n";
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const text = serializeVectors(await buildVectors());
  if (process.argv.includes("--check")) {
    const same = readFileSync(KAT_FILE, "utf8") === text;
    console.log(same ? `${path.relative(REPO_ROOT, KAT_FILE)} matches the model` : `${path.relative(REPO_ROOT, KAT_FILE)} differs from the model`);
    process.exit(same ? 0 : 1);
  }
  writeFileSync(KAT_FILE, text);
  console.log(`wrote ${path.relative(REPO_ROOT, KAT_FILE)}`);
}
