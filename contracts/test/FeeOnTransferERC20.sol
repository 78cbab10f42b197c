// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestERC20} from "./TestERC20.sol";

/// @title Test-only ERC-20 that burns a fee on every transfer
/// @notice The receiver gets `amount - amount·feeBps/10000`: the rollup must credit what it
///         actually received, not the amount asked for.
contract FeeOnTransferERC20 is TestERC20 {
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) TestERC20("Fee token", "FEE") {
        feeBps = feeBps_;
    }

    function _move(address from, address to, uint256 amount) internal override {
        uint256 fee = (amount * feeBps) / 10_000;
        balanceOf[from] -= amount;
        balanceOf[to] += amount - fee;
        totalSupply -= fee;
        emit Transfer(from, to, amount - fee);
        emit Transfer(from, address(0), fee);
    }
}
