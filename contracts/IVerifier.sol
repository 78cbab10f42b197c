// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Groth16 verifier of the batch circuit (two public signals)
/// @notice The interface of the verifier snarkjs exports (`zkey export solidityverifier`) for a
///         circuit whose public signals are a batch's [evaluation, challenge] (docs/PROTOCOL.md, "Batch").
interface IVerifier {
    /// @notice Checks a Groth16 proof against the verifying key compiled into the verifier.
    /// @param _pA proof point A (G1).
    /// @param _pB proof point B (G2), each Fp2 coordinate as [c1, c0], as snarkjs
    ///        `exportSolidityCallData` prints it.
    /// @param _pC proof point C (G1).
    /// @param _pubSignals the public signals; each must be < r or the proof is rejected.
    /// @return true if and only if the proof is valid for `_pubSignals`.
    function verifyProof(
        uint256[2] calldata _pA,
        uint256[2][2] calldata _pB,
        uint256[2] calldata _pC,
        uint256[2] calldata _pubSignals
    ) external view returns (bool);
}
