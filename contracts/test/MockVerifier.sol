// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerifier} from "../IVerifier.sol";

/// @title Test-only stand-in for a Groth16 verifier
/// @notice Checks no proof: returns `result` (initially true), and, once `expectCall` has pinned
///         the exact arguments, also requires them to match (so tests can check what Rollup
///         forwards). Only for tests of the Rollup's own logic; never deploy it outside tests.
contract MockVerifier is IVerifier {
    bool public result = true;
    /// @notice keccak256 of the ABI-encoded arguments verifyProof must receive; 0 = any.
    bytes32 public expectedCall;

    function setResult(bool result_) external {
        result = result_;
    }

    /// @notice Makes verifyProof return false unless called with exactly these arguments.
    function expectCall(uint256[8] calldata proof, uint256[2] calldata publicSignals) external {
        expectedCall = keccak256(
            abi.encode(
                [proof[0], proof[1]], [[proof[2], proof[3]], [proof[4], proof[5]]], [proof[6], proof[7]], publicSignals
            )
        );
    }

    function verifyProof(
        uint256[2] calldata _pA,
        uint256[2][2] calldata _pB,
        uint256[2] calldata _pC,
        uint256[2] calldata _pubSignals
    ) external view returns (bool) {
        if (expectedCall != bytes32(0) && keccak256(abi.encode(_pA, _pB, _pC, _pubSignals)) != expectedCall) {
            return false;
        }
        return result;
    }
}
