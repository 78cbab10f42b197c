// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The part of ERC-20 the rollup calls. Calls that move tokens are made low-level, so
///         tokens that return nothing (instead of `true`) are accepted as well.
interface IERC20 {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}
