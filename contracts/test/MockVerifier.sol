// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerifier} from "../interfaces/IVerifier.sol";

/// @title Test-only stand-in for the Groth16 verifier
/// @notice Checks no proof: returns `result` (initially true), and, once `expectCall` (or
///         `expectCalls`) has pinned the exact arguments, also requires them to match (so tests can
///         check what Rollup forwards). Its verifying key hash is the constant MOCK_KEY_HASH. Only
///         for tests of the Rollup's own logic; never deploy it outside tests.
contract MockVerifier is IVerifier {
    /// @notice What verifyingKeyHash returns: no real key has this hash.
    bytes32 public constant MOCK_KEY_HASH = keccak256("zkr MockVerifier: accepts any proof");

    bool public result = true;
    /// @notice keccak256 of the ABI-encoded arguments verifyProof must receive; 0 = any.
    bytes32 public expectedCall;
    /// @notice keccak256 of the ABI-encoded arguments verifyProofs must receive; 0 = any.
    bytes32 public expectedCalls;

    function setResult(bool result_) external {
        result = result_;
    }

    /// @notice Makes verifyProof return false unless called with exactly these arguments.
    function expectCall(uint256[8] calldata proof, uint256[2] calldata publicSignals) external {
        expectedCall = keccak256(abi.encode(proof, publicSignals));
    }

    /// @notice Makes verifyProofs return false unless called with exactly these arguments.
    function expectCalls(uint256[8][] calldata proofs, uint256[2][] calldata publicSignals) external {
        expectedCalls = keccak256(abi.encode(proofs, publicSignals));
    }

    function verifyingKeyHash() external pure returns (bytes32) {
        return MOCK_KEY_HASH;
    }

    function verifyProof(uint256[8] calldata proof, uint256[2] calldata publicSignals) external view returns (bool) {
        if (expectedCall != bytes32(0) && keccak256(abi.encode(proof, publicSignals)) != expectedCall) return false;
        return result;
    }

    function verifyProofs(
        uint256[8][] calldata proofs,
        uint256[2][] calldata publicSignals
    ) external view returns (bool) {
        if (expectedCalls != bytes32(0) && keccak256(abi.encode(proofs, publicSignals)) != expectedCalls) return false;
        return result;
    }
}
