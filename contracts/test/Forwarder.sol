// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Test-only relayer: makes calls on behalf of whoever calls it
/// @notice Stands in for a multisig or a relayer that holds the sequencer role, so that batches
///         reach the Rollup from inside another contract's transaction. `forward` makes one call
///         and bubbles up its revert; `forwardAll` makes several in order and may swallow the
///         reverts of those marked `mayFail` (their events, if any, are discarded by the EVM).
contract Forwarder {
    function forward(address target, bytes calldata data) external returns (bytes memory ret) {
        bool ok;
        (ok, ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    function forwardAll(address[] calldata targets, bytes[] calldata calls, bool[] calldata mayFail) external {
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok, bytes memory ret) = targets[i].call(calls[i]);
            if (!ok && !mayFail[i]) {
                assembly {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
    }

    /// @notice Withdraws what the Rollup credited to this contract (the L1-operation fees of the
    ///         batches it submitted) to msg.sender.
    function sweep(address payable to) external {
        to.transfer(address(this).balance);
    }

    receive() external payable {}
}
