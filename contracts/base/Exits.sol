// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRollup} from "../interfaces/IRollup.sol";
import {TokenTransfer} from "../libraries/TokenTransfer.sol";
import {RollupStorage} from "./RollupStorage.sol";

/// @title Pull withdrawals: what the rollup owes, and paying it out
/// @notice Everything the rollup pays (L1 results, exits, L1-operation fees, escape withdrawals,
///         refunds) is credited to `claimable` first and paid out by `withdraw`, so no batch or
///         escape call depends on a recipient accepting a payment.
abstract contract Exits is RollupStorage {
    /// @inheritdoc IRollup
    function withdraw(uint32 tokenId) external nonReentrant {
        uint256 amount = claimable[msg.sender][tokenId];
        if (amount == 0) revert NothingToWithdraw(tokenId);
        claimable[msg.sender][tokenId] = 0;
        emit Withdrawn(msg.sender, tokenId, amount);
        if (tokenId == 0) {
            (bool ok, ) = msg.sender.call{value: amount}("");
            if (!ok) revert TransferFailed(address(0));
        } else {
            address token = tokenAddress[tokenId];
            if (token == address(0)) revert TokenNotRegistered(tokenId);
            TokenTransfer.transfer(token, msg.sender, amount);
        }
    }

    /// @dev Makes `amount` of `tokenId` withdrawable by `owner`.
    function _credit(address owner, uint32 tokenId, uint256 amount) internal {
        claimable[owner][tokenId] += amount;
        emit Credited(owner, tokenId, amount);
    }

    /// @dev Credits every exit (to = 0) in `txData` to the L1 owner and token of its sender.
    ///      A transaction is from ‖ to ‖ amount float40 ‖ fee float8, big-endian (`step` = txBytes
    ///      bytes, `idxBytes` per index): calldataload at its offset puts it in the top txBytes bytes
    ///      of a word. This scan is the only per-transfer execution cost of a batch, so it tests 4
    ///      transactions per branch (a few dozen gas per transaction) and re-reads a group one by
    ///      one only if one of them may be an exit. Words read past the end of txData (zero
    ///      padding, or whatever a non-canonical ABI encoding put there) only decide whether the
    ///      slow path runs, which reads posted transactions alone.
    function _creditExits(bytes calldata txData, uint256 step, uint256 idxBytes) internal {
        uint256 toMask = ((1 << (8 * idxBytes)) - 1) << (256 - 16 * idxBytes);
        uint256 start;
        assembly ("memory-safe") {
            start := txData.offset
        }
        uint256 end = start + txData.length;
        unchecked {
            for (uint256 p = start; p < end; p += 4 * step) {
                bool maybeExit;
                assembly ("memory-safe") {
                    let p2 := add(p, step)
                    let p3 := add(p2, step)
                    maybeExit := or(
                        or(iszero(and(calldataload(p), toMask)), iszero(and(calldataload(p2), toMask))),
                        or(iszero(and(calldataload(p3), toMask)), iszero(and(calldataload(add(p3, step)), toMask)))
                    )
                }
                if (!maybeExit) continue;
                for (uint256 q = p; q < p + 4 * step && q < end; q += step) {
                    uint256 word;
                    assembly ("memory-safe") {
                        word := calldataload(q)
                    }
                    if (word & toMask == 0) _creditExit(word, idxBytes);
                }
            }
        }
    }

    /// @dev Credits the exit `word` holds (top txBytes bytes) to its sender account's owner and token.
    function _creditExit(uint256 word, uint256 idxBytes) private {
        uint256 ib8 = 8 * idxBytes;
        uint256 packed = (word >> (256 - 2 * ib8 - 40)) & 0xFFFFFFFFFF;
        // float40: m = low 35 bits, e = high 5 bits; m·10^e < 2^35·10^31 cannot overflow.
        uint256 amount = (packed & 0x7FFFFFFFF) * 10 ** (packed >> 35);
        if (amount == 0) return;
        AccountRecord storage account = accounts[word >> (256 - ib8)];
        _credit(account.owner, account.tokenId, amount);
    }
}
