// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// On-chain Poseidon (circomlib parameters) over 4, 5 and 6 field elements. The contracts are not
// Solidity: lib/deploy.ts deploys the EVM bytecode circomlibjs generates
// (`poseidonContract.createCode(n)`), whose selector is `poseidon(uint256[n])`. They reduce each
// input mod r before hashing, so callers that bind values bigger than a field element must
// range-check them first.

/// @notice Poseidon(4 inputs): inner nodes of the 4-ary account tree.
interface IPoseidon4 {
    function poseidon(uint256[4] calldata input) external pure returns (uint256);
}

/// @notice Poseidon(5 inputs): the L1-operation queue hash chain.
interface IPoseidon5 {
    function poseidon(uint256[5] calldata input) external pure returns (uint256);
}

/// @notice Poseidon(6 inputs): account leaves.
interface IPoseidon6 {
    function poseidon(uint256[6] calldata input) external pure returns (uint256);
}
