// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Groth16 verifier of the batch circuit (two public signals), one proof or k at once
/// @notice The interface of the verifiers src/proving/verifier.ts generates from a verification key
///         (ZkrVerifier_<label>). One contract checks both of the Rollup's paths, submitBatch (one
///         proof) and submitBatches (k proofs, one multi-pairing), against the one verifying key
///         compiled into it, and publishes the hash of that key: there is no second verifier whose
///         key could differ.
interface IVerifier {
    /// @notice keccak256 of the verifying key's points as 32-byte big-endian words, in this order:
    ///         alpha.x, alpha.y; beta, gamma, delta each as x.c1, x.c0, y.c1, y.c0 (EIP-197 order);
    ///         IC[0].x, IC[0].y, IC[1].x, … (docs/PROTOCOL.md, "Verifying key hash";
    ///         src/proving/verifier.ts verifyingKeyHash computes it from the key's JSON). Computed on chain
    ///         from the very constants the verification uses.
    function verifyingKeyHash() external view returns (bytes32);

    /// @notice Checks one Groth16 proof against the verifying key.
    /// @param proof [a0, a1, b00, b01, b10, b11, c0, c1]: A, B (each Fp2 coordinate as (c1, c0), as
    ///        snarkjs `exportSolidityCallData` prints it), C.
    /// @param publicSignals the public signals; each must be < r or the proof is rejected.
    /// @return true if and only if the proof is valid for `publicSignals` (false for any coordinate
    ///         >= q, signal >= r or point not on the curve).
    function verifyProof(uint256[8] calldata proof, uint256[2] calldata publicSignals) external view returns (bool);

    /// @notice Checks every proof against its public signals with one pairing-product check (a
    ///         random linear combination of the k Groth16 equations).
    /// @param proofs proofs[i] as in verifyProof.
    /// @param publicSignals publicSignals[i] are the public signals of proofs[i]; each must be < r.
    /// @return true if every proof is valid for its signals (up to a soundness error below 2^-253
    ///         per attempt); false if any is not, for an empty list, for lengths that differ, and for
    ///         any coordinate >= q, signal >= r or point not on the curve.
    function verifyProofs(
        uint256[8][] calldata proofs,
        uint256[2][] calldata publicSignals
    ) external view returns (bool);
}
