// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestERC20} from "./TestERC20.sol";

/// @title Test-only ERC-20 with configurable misbehaviour
/// @notice transfer/transferFrom can return false (moving nothing) or return no data at all (as
///         some deployed tokens do), and can call an arbitrary contract in the middle of a
///         transfer (like ERC-777 hooks), recording what that call returned.
contract MisbehavingERC20 is TestERC20 {
    enum ReturnMode {
        True,
        False,
        Nothing
    }

    ReturnMode public returnMode;
    address public hookTarget;
    bytes public hookData;
    bool public hookCalled;
    bool public hookSucceeded;
    bytes public hookReturnData;

    constructor() TestERC20("Misbehaving token", "BAD") {}

    function setReturnMode(ReturnMode mode) external {
        returnMode = mode;
    }

    /// @notice Makes the next transfer call `target` with `data` before moving the tokens (once).
    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
        hookCalled = false;
    }

    function transfer(address to, uint256 amount) external override returns (bool) {
        return _transferWith(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external override returns (bool) {
        if (returnMode != ReturnMode.False) {
            uint256 allowed = allowance[from][msg.sender];
            if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        }
        return _transferWith(from, to, amount);
    }

    function _transferWith(address from, address to, uint256 amount) private returns (bool) {
        if (hookTarget != address(0) && !hookCalled) {
            hookCalled = true;
            (hookSucceeded, hookReturnData) = hookTarget.call(hookData);
        }
        if (returnMode == ReturnMode.False) return false;
        _move(from, to, amount);
        if (returnMode == ReturnMode.Nothing) {
            assembly {
                return(0, 0)
            }
        }
        return true;
    }
}
