// Batch verification of Groth16 proofs on L1. From a circuit's verification key JSON (snarkjs
// `zkey export verificationkey`) this generates AggregateVerifier_<label>.sol, which checks k
// proofs with PUBLIC_SIGNALS public signals each in one multi-pairing (a random linear combination of the k
// Groth16 equations, challenge derived from all proofs and signals), and writes it next to the
// snarkjs verifiers in contracts/generated/ for Hardhat to compile. Rollup.submitBatches uses it.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Interface } from "ethers";
import { fromHex } from "./bytes.js";
import { SNARK_FIELD } from "./crypto.js";
import { writeFileAtomic } from "./ptau.js";
import { GENERATED_CONTRACTS_DIR, type SetupManifest } from "./setup.js";

/** BN254 base field modulus q: every curve coordinate is below it. */
export const BN254_BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const Q = BN254_BASE_FIELD;

/** Public signals per proof of the batch circuit: [evaluation, challenge] (docs/PROTOCOL.md). */
export const PUBLIC_SIGNALS = 2;

/** Contract name of the aggregate verifier of setup `label`. */
export function aggregateVerifierName(label: string): string {
  return `AggregateVerifier_${label}`;
}

type G1 = [bigint, bigint];
/** A G2 point in EIP-197 order: x.c1, x.c0, y.c1, y.c0. */
type G2 = [bigint, bigint, bigint, bigint];
type Fp2 = [bigint, bigint]; // c0 + c1·u, u² = −1

const mod = (a: bigint) => ((a % Q) + Q) % Q;
const mul2 = ([a0, a1]: Fp2, [b0, b1]: Fp2): Fp2 => [mod(a0 * b0 - a1 * b1), mod(a0 * b1 + a1 * b0)];
function powQ(base: bigint, exp: bigint): bigint {
  let result = 1n;
  for (let b = mod(base), e = exp; e > 0n; e >>= 1n, b = (b * b) % Q) if (e & 1n) result = (result * b) % Q;
  return result;
}
/** b of the twist y² = x³ + b that holds G2: 3 / (9 + u) = 3·(9 − u) / 82. */
const TWIST_B: Fp2 = [mod(27n * powQ(82n, Q - 2n)), mod(-3n * powQ(82n, Q - 2n))];

function coordinate(v: unknown, what: string): bigint {
  if (typeof v !== "string" || !/^[0-9]+$/.test(v)) throw new Error(`verification key: ${what} is not a decimal string`);
  const x = BigInt(v);
  if (x >= Q) throw new Error(`verification key: ${what} is not below the base field modulus`);
  return x;
}

function g1(v: unknown, what: string): G1 {
  if (!Array.isArray(v) || v.length !== 3 || v[2] !== "1") throw new Error(`verification key: ${what} is not an affine G1 point [x, y, "1"]`);
  const [x, y] = [coordinate(v[0], `${what}.x`), coordinate(v[1], `${what}.y`)];
  if (mod(y * y - x * x * x - 3n) !== 0n) throw new Error(`verification key: ${what} is not on the curve`);
  return [x, y];
}

function g2(v: unknown, what: string): G2 {
  const pair = (w: unknown, name: string): Fp2 => {
    if (!Array.isArray(w) || w.length !== 2) throw new Error(`verification key: ${what}.${name} is not an Fp2 element [c0, c1]`);
    return [coordinate(w[0], `${what}.${name}.c0`), coordinate(w[1], `${what}.${name}.c1`)];
  };
  if (!Array.isArray(v) || v.length !== 3 || JSON.stringify(v[2]) !== '["1","0"]') {
    throw new Error(`verification key: ${what} is not an affine G2 point [x, y, ["1", "0"]]`);
  }
  const [x, y] = [pair(v[0], "x"), pair(v[1], "y")];
  const [l0, l1] = mul2(y, y);
  const [r0, r1] = mul2(mul2(x, x), x);
  if (l0 !== mod(r0 + TWIST_B[0]) || l1 !== mod(r1 + TWIST_B[1])) throw new Error(`verification key: ${what} is not on the twist curve`);
  return [x[1], x[0], y[1], y[0]];
}

/** The points of a BN254 Groth16 verification key with PUBLIC_SIGNALS public signals, checked. */
function parseVkey(vkey: unknown): { alpha: G1; beta: G2; gamma: G2; delta: G2; ic: G1[] } {
  const k = vkey as Record<string, unknown>;
  if (k === null || typeof k !== "object") throw new Error("verification key: not a JSON object");
  if (k.protocol !== "groth16" || k.curve !== "bn128") {
    throw new Error(`verification key: expected protocol groth16 on bn128, got ${String(k.protocol)} on ${String(k.curve)}`);
  }
  if (k.nPublic !== PUBLIC_SIGNALS || !Array.isArray(k.IC) || k.IC.length !== PUBLIC_SIGNALS + 1) {
    throw new Error(`verification key: the aggregate verifier takes exactly ${PUBLIC_SIGNALS} public signals, the key has ${String(k.nPublic)}`);
  }
  return {
    alpha: g1(k.vk_alpha_1, "vk_alpha_1"),
    beta: g2(k.vk_beta_2, "vk_beta_2"),
    gamma: g2(k.vk_gamma_2, "vk_gamma_2"),
    delta: g2(k.vk_delta_2, "vk_delta_2"),
    ic: (k.IC as unknown[]).map((p, i) => g1(p, `IC[${i}]`)),
  };
}

/**
 * Solidity source of `contractName`, an IAggregateVerifier for the Groth16 verification key
 * `vkey` (the parsed JSON of snarkjs `zkey export verificationkey`; PUBLIC_SIGNALS public signals). The key is
 * checked: well-formed, coordinates below q, points on their curves. `header` lines become
 * comments under the licence line (provenance).
 */
export function exportAggregateVerifier(vkey: unknown, contractName: string, header: string[] = []): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(contractName)) throw new Error(`invalid contract name "${contractName}"`);
  const { alpha, beta, gamma, delta, ic } = parseVkey(vkey);
  const g2Constants = (name: string, p: G2) =>
    ["X1", "X0", "Y1", "Y0"].map((c, i) => `    uint256 private constant ${name}_${c} = ${p[i]};`).join("\n");
  const g2Stores = (at: string, name: string) =>
    ["X1", "X0", "Y1", "Y0"].map((c, i) => `                mstore(add(${at}, ${64 + 32 * i}), ${name}_${c})`).join("\n");
  const n = ic.length - 1;
  const sigBytes = 32 * n;
  const signalIdx = [...Array(n).keys()];
  return `// SPDX-License-Identifier: MIT
${header.map((l) => `// ${l}\n`).join("")}// Generated by lib/aggregate.ts from the verification key. Do not edit.
pragma solidity ^0.8.28;

import {IAggregateVerifier} from "../IAggregateVerifier.sol";

/// @title Batch verifier of Groth16 proofs (${n} public signals) for one verifying key
/// @notice Checks k proofs with a single pairing-product check: a random linear combination of
///         their k Groth16 equations. Accepts exactly the lists of proofs that the snarkjs
///         verifier of the same key accepts one by one, up to the soundness error below.
/// @dev Check. For proof i = (A_i, B_i, C_i) with public signals x_i1 … x_in (n = ${n}) let
///      vk_x_i = IC0 + sum_j x_ij·ICj and E_i = e(-A_i, B_i)·e(alpha, beta)·e(vk_x_i, gamma)·e(C_i, delta) in G_T. Proof i is
///      valid iff E_i = 1 (the snarkjs verifier's check). This contract accepts iff
///        prod_i E_i^rho_i = prod_i e(-rho_i·A_i, B_i) · e(S·alpha, beta)
///                           · e(S·IC0 + sum_j T_j·ICj, gamma) · e(sum_i rho_i·C_i, delta) = 1,
///      one ecPairing call with k + 3 pairs, where S = sum_i rho_i, T_j = sum_i rho_i·x_ij (mod r),
///      rho_0 = 1 and rho_i = keccak256(seed, i) mod r for i >= 1, seed = keccak256(proofs ‖
///      publicSignals) over their calldata (256 + 32·n bytes per proof).
///
///      Soundness. G_T has prime order r; write E_i = g^e_i. The check accepts iff
///      sum_i rho_i·e_i = 0 (mod r). If every proof is valid, every e_i = 0: accepted. If some is
///      not: either e_0 is the only non-zero e_i, and the sum is e_0 != 0 for any rho: rejected;
///      or e_j != 0 for some j >= 1, and with every other term fixed exactly one residue of rho_j
///      makes the sum 0. The seed hashes everything the e_i depend on (the key is constant), so
///      the proofs are fixed before the rho_i are known; with keccak256 as a random oracle rho_j
///      is a uniform 256-bit value reduced mod r, equal to that residue with probability at most
///      ceil(2^256 / r) / 2^256 < 2^-253. An attacker who evaluates keccak256 Q times succeeds
///      with probability at most Q·2^-253, negligible next to BN254's ~100-bit security. Inputs are
///      checked first, as the snarkjs verifier does and more: every signal < r (x and x + r give
///      the same vk_x, so an unchecked signal could be aliased) and every proof coordinate < q
///      (one encoding per point, so the hash binds the points); the precompiles reject G1 points
///      off the curve (G1 has cofactor 1) and, in ecPairing (EIP-197), G2 points outside the
///      order-r subgroup, so every E_i is in G_T.
///
///      Cost (EIP-1108 precompile prices). k >= 2: ecPairing 45,000 + 34,000·(k + 3), ecMul
///      6,000·(2k + n) (rho_i·A_i and rho_i·C_i for i >= 1, S·alpha, S·IC0, T_j·ICj), ecAdd
///      150·(k - 1 + n): ${(147000 + 6150 * n - 150).toLocaleString("en-US")} + 46,150·k in total. k = 1: rho_0 = S = 1, so only the T_j·ICj are
///      ecMuls: ${(181000 + 6150 * n).toLocaleString("en-US")}, what the snarkjs verifier spends. Besides: keccak256 over ${256 + sigBytes}·k bytes, about
///      1,000 gas of checks and copies per proof, and max(${256 + sigBytes}·k, 192·k + 736) bytes of memory.
contract ${contractName} is IAggregateVerifier {
    /// @dev Scalar field (group order) r and base field q of BN254.
    uint256 private constant R = ${SNARK_FIELD};
    uint256 private constant Q = ${Q};

    // Verifying key; G2 coordinates in EIP-197 order (x.c1, x.c0, y.c1, y.c0).
    uint256 private constant ALPHA_X = ${alpha[0]};
    uint256 private constant ALPHA_Y = ${alpha[1]};
${g2Constants("BETA", beta)}
${g2Constants("GAMMA", gamma)}
${g2Constants("DELTA", delta)}
${ic.map((p, i) => `    uint256 private constant IC${i}_X = ${p[0]};\n    uint256 private constant IC${i}_Y = ${p[1]};`).join("\n")}

    /// @inheritdoc IAggregateVerifier
    function verifyProofs(uint256[8][] calldata proofs, uint256[${n}][] calldata publicSignals) external view returns (bool ok) {
        uint256 k = proofs.length;
        if (k == 0 || publicSignals.length != k) return false;
        assembly ("memory-safe") {
            // dst := s·(x, y) with ecMul (its input written at tmp, 96 bytes), or a copy for s = 1.
            function g1Mul(dst, x, y, s, tmp) -> success {
                switch s
                case 1 {
                    mstore(dst, x)
                    mstore(add(dst, 32), y)
                    success := 1
                }
                default {
                    mstore(tmp, x)
                    mstore(add(tmp, 32), y)
                    mstore(add(tmp, 64), s)
                    success := staticcall(gas(), 7, tmp, 96, dst, 64)
                }
            }

            // Memory past the free pointer: the ecPairing input, k + 3 pairs of 192 bytes (G1 point,
            // then G2 point); after it 160 bytes of scratch: the running sum of rho_i·C_i at t,
            // precompile inputs at t + 64.
            let pairs := mload(0x40)
            let t := add(pairs, mul(add(k, 3), 192))
            let tmp := add(t, 64)

            // seed = keccak256(proofs ‖ publicSignals), kept in scratch word 0 for keccak256(seed, i).
            let proofBytes := mul(k, 256)
            calldatacopy(pairs, proofs.offset, proofBytes)
            calldatacopy(add(pairs, proofBytes), publicSignals.offset, mul(k, ${sigBytes}))
            mstore(0, keccak256(pairs, mul(k, ${256 + sigBytes})))

            let s := 0 // sum of rho_i mod r
${signalIdx.map((j) => `            let u${j} := 0 // T_${j + 1} = sum of rho_i·x_i${j + 1} mod r`).join("\n")}
            for { let i := 0 } lt(i, k) { i := add(i, 1) } {
                let p := add(proofs.offset, mul(i, 256))
                let xs := add(publicSignals.offset, mul(i, ${sigBytes}))
${signalIdx.map((j) => `                let x${j} := calldataload(add(xs, ${32 * j}))`).join("\n")}
                ok := ${signalIdx.map((j) => `lt(x${j}, R)`).reduce((a, b) => `and(${a}, ${b})`)}
                for { let j := 0 } lt(j, 256) { j := add(j, 32) } {
                    ok := and(ok, lt(calldataload(add(p, j)), Q))
                }
                if iszero(ok) { break }

                let rho := 1
                if i {
                    mstore(32, i)
                    rho := mod(keccak256(0, 64), R)
                }
                s := addmod(s, rho, R)
${signalIdx.map((j) => `                u${j} := addmod(u${j}, mulmod(rho, x${j}, R), R)`).join("\n")}

                // Pair i: (-rho_i·A_i, B_i); -(x, y) = (x, q - y), and (0, 0) (infinity) stays (0, 0).
                let pair := add(pairs, mul(i, 192))
                ok := g1Mul(pair, calldataload(p), mod(sub(Q, calldataload(add(p, 32))), Q), rho, tmp)
                calldatacopy(add(pair, 64), add(p, 64), 128)
                // t += rho_i·C_i
                switch i
                case 0 {
                    calldatacopy(t, add(p, 192), 64)
                }
                default {
                    if ok { ok := g1Mul(tmp, calldataload(add(p, 192)), calldataload(add(p, 224)), rho, tmp) }
                    if ok { ok := staticcall(gas(), 6, t, 128, t, 64) }
                }
                if iszero(ok) { break }
            }

            if ok {
                // Pair k: (S·alpha, beta).
                let pa := add(pairs, mul(k, 192))
                ok := g1Mul(pa, ALPHA_X, ALPHA_Y, s, tmp)
${g2Stores("pa", "BETA")}
                // Pair k + 1: (S·IC0 + sum_j T_j·ICj, gamma), the weighted sum of the vk_x_i.
                let pv := add(pa, 192)
                if ok { ok := g1Mul(pv, IC0_X, IC0_Y, s, tmp) }
${signalIdx
  .map((j) => `                if ok { ok := g1Mul(add(pv, 64), IC${j + 1}_X, IC${j + 1}_Y, u${j}, tmp) }\n                if ok { ok := staticcall(gas(), 6, pv, 128, pv, 64) }`)
  .join("\n")}
${g2Stores("pv", "GAMMA")}
                // Pair k + 2: (sum of rho_i·C_i, delta).
                let pd := add(pv, 192)
                mstore(pd, mload(t))
                mstore(add(pd, 32), mload(add(t, 32)))
${g2Stores("pd", "DELTA")}
                if ok {
                    let success := staticcall(gas(), 8, pairs, mul(add(k, 3), 192), 0, 32)
                    ok := and(success, eq(mload(0), 1))
                }
            }
        }
    }
}
`;
}

export interface WrittenAggregateVerifier {
  contractName: string;
  /** contracts/generated/<contractName>.sol */
  path: string;
  /** True if the file was created or its content changed: rebuild the contracts (buildContracts). */
  changed: boolean;
}

/**
 * Generates the aggregate verifier of a setup (lib/setup.ts) from its verification key and writes
 * it to `dir`/AggregateVerifier_<label>.sol (default contracts/generated/), unless it is there
 * already with the same content. Call it after the setup, before buildContracts().
 */
export function writeAggregateVerifier(
  manifest: Pick<SetupManifest, "label" | "key" | "circuitKey" | "ptau" | "vkey">,
  dir: string = GENERATED_CONTRACTS_DIR,
): WrittenAggregateVerifier {
  const contractName = aggregateVerifierName(manifest.label);
  const vkey: unknown = JSON.parse(readFileSync(manifest.vkey, "utf8"));
  const sol = exportAggregateVerifier(vkey, contractName, [
    `Verifying key of circuit "${manifest.label}" (setup key ${manifest.key}, circuit key ${manifest.circuitKey}).`,
    manifest.ptau.kind === "ceremony"
      ? `Phase 1: ceremony ptau sha256 ${manifest.ptau.sha256}.`
      : `INSECURE DEVELOPMENT KEY (ptau sha256 ${manifest.ptau.sha256}): for local chains only.`,
  ]);
  const file = path.join(dir, `${contractName}.sol`);
  const changed = !existsSync(file) || readFileSync(file, "utf8") !== sol;
  if (changed) writeFileAtomic(file, sol);
  return { contractName, path: file, changed };
}

/** One batch of a Rollup submitBatch or submitBatches call, as posted. */
export interface PostedBatchCall {
  newRoot: bigint;
  l1Count: number;
  l1Results: Uint8Array;
  feeIdx: Uint8Array;
  txData: Uint8Array;
  /** The posted Poseidon commitment to the batch data. */
  commitment: bigint;
  /** [a0, a1, b00, b01, b10, b11, c0, c1] as submitted. */
  proof: bigint[];
}

/**
 * The batches a transaction to the Rollup posts, in the order it applies them (the order of its
 * BatchSubmitted events): one for submitBatch, k for submitBatches. Throws for any other call.
 */
export function decodeBatchCall(rollupInterface: Interface, data: string): PostedBatchCall[] {
  const call = rollupInterface.parseTransaction({ data });
  const one = (b: { newRoot: bigint; l1Count: bigint; l1Results: string; feeIdx: string; txData: string; commitment: bigint }, proof: bigint[]): PostedBatchCall => ({
    newRoot: b.newRoot,
    l1Count: Number(b.l1Count),
    l1Results: fromHex(b.l1Results),
    feeIdx: fromHex(b.feeIdx),
    txData: fromHex(b.txData),
    commitment: b.commitment,
    proof: [...proof],
  });
  if (call?.name === "submitBatch") return [one(call.args as unknown as Parameters<typeof one>[0], call.args.proof as bigint[])];
  if (call?.name === "submitBatches") {
    const proofs = call.args.proofs as bigint[][];
    return (call.args.batches as Parameters<typeof one>[0][]).map((b, i) => one(b, proofs[i]!));
  }
  throw new Error(`not a submitBatch or submitBatches call (${call ? call.name : data.slice(0, 10)})`);
}
