// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Batch verifier of Groth16 proofs with two public signals each
/// @notice The interface of the verifiers lib/aggregate.ts generates (AggregateVerifier_<label>):
///         k proofs against one verifying key, checked with a single pairing-product equation (a
///         random linear combination of the k Groth16 equations).
interface IAggregateVerifier {
    /// @notice Checks every proof against its public signal.
    /// @param proofs proofs[i] = [a0, a1, b00, b01, b10, b11, c0, c1], the order Rollup.submitBatch
    ///        and snarkjs `exportSolidityCallData` use (B's Fp2 coordinates as (c1, c0)).
    /// @param publicSignals publicSignals[i] are the public signals of proofs[i]; each must be < r.
    /// @return true if every proof is valid for its signal (up to a soundness error below 2^-253 per
    ///         attempt); false if any is not, for an empty list, for lengths that differ, and for any
    ///         coordinate >= q, signal >= r or point not on the curve.
    function verifyProofs(uint256[8][] calldata proofs, uint256[2][] calldata publicSignals) external view returns (bool);
}
