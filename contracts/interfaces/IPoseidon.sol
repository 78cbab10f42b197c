// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// On-chain Poseidon (circomlib parameters) over 3, 4, 5 and 8 field elements. For 3 to 5 inputs
// src/chain/deploy.ts deploys the EVM bytecode circomlibjs generates (`poseidonContract.createCode(n)`),
// for 8 contracts/Poseidon8.sol; the selector is `poseidon(uint256[n])`. They reduce each input
// mod r before hashing, so callers that bind values bigger than a field element must range-check
// them first.

/// @notice Poseidon(3 inputs): account leaves.
interface IPoseidon3 {
    function poseidon(uint256[3] calldata input) external pure returns (uint256);
}

/// @notice Poseidon(4 inputs): the account tree's 4-ary root level (when 2·depth mod 3 != 0).
interface IPoseidon4 {
    function poseidon(uint256[4] calldata input) external pure returns (uint256);
}

/// @notice Poseidon(5 inputs): the L1-operation queue hash chain.
interface IPoseidon5 {
    function poseidon(uint256[5] calldata input) external pure returns (uint256);
}

/// @notice Poseidon(8 inputs): the account tree's 8-ary levels (contracts/Poseidon8.sol: circomlibjs's
///         generator does not go beyond 6 inputs; it reads its constants from data contracts).
interface IPoseidon8 {
    function poseidon(uint256[8] calldata input) external view returns (uint256);
}
