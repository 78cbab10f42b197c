// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Test-only contract account that re-enters the contract paying it
/// @notice Acts as an L1 user (`execute` makes any call as this contract). When it receives ETH it
///         makes the configured call once (e.g. `withdraw` again) and records the outcome.
contract ReentrantCaller {
    address public reentryTarget;
    bytes public reentryData;
    bool public reentered;
    bool public reentrySucceeded;
    bytes public reentryReturnData;

    function execute(address target, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    function setReentry(address target, bytes calldata data) external {
        reentryTarget = target;
        reentryData = data;
        reentered = false;
    }

    // Re-entering from the ETH transfer is the attack.
    // solhint-disable-next-line no-complex-fallback
    receive() external payable {
        if (reentryTarget == address(0) || reentered) return;
        reentered = true;
        (reentrySucceeded, reentryReturnData) = reentryTarget.call(reentryData);
    }
}
