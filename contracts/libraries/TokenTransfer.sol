// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "../interfaces/IERC20.sol";
import {IRollup} from "../interfaces/IRollup.sol";

/// @title ERC-20 calls that move tokens
/// @notice Low-level calls that accept tokens returning `true` or nothing, and revert with
///         IRollup.TransferFailed(token) for a call that reverts or returns anything else.
library TokenTransfer {
    /// @dev `amount` of `token` from this contract to `to`.
    function transfer(address token, address to, uint256 amount) internal {
        _call(token, abi.encodeCall(IERC20.transfer, (to, amount)));
    }

    /// @dev `amount` of `token` from `from` (who approved this contract) to `to`.
    function transferFrom(address token, address from, address to, uint256 amount) internal {
        _call(token, abi.encodeCall(IERC20.transferFrom, (from, to, amount)));
    }

    /// @dev Calls an ERC-20 that moves tokens: must not revert and must return true or nothing.
    function _call(address token, bytes memory data) private {
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok || (ret.length != 0 && (ret.length != 32 || abi.decode(ret, (uint256)) != 1))) {
            revert IRollup.TransferFailed(token);
        }
    }
}
