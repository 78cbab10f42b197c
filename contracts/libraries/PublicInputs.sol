// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRollup} from "../interfaces/IRollup.sol";

/// @title A batch's calldata: its shape checks, its data coefficients and the public inputs
/// @notice docs/PROTOCOL.md "Batch" (src/model/publicInputs.ts is the off-chain twin). The data
///         coefficients c[0..m) of a batch are oldRoot, newRoot, chainId·2^160 + rollup,
///         l1HashEnd, l1Count ‖ feeIdx, one uint128 result per L1 slot, then the transactions in
///         groups of txsPerCoefficient, each group's bytes a big-endian integer (zero bytes past
///         the posted ones); c[m] is the commitment. The proof's public signals are [y, z] with
///         z = keccak256(c[0] ‖ … ‖ c[m]) mod r and y = Σ c[i]·z^i mod r.
/// @dev A transaction is from ‖ to ‖ amount float40 ‖ fee float8, big-endian, idxBytes bytes per
///      index (txBytes = 2·idxBytes + 6 in all).
library PublicInputs {
    /// @notice BN254 scalar field order `r`.
    uint256 internal constant SNARK_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @dev Rejects batch data whose lengths do not match the instance (l1Results exactly
    ///      16·l1Count bytes, feeIdx exactly feeLength bytes, txData a whole number of transactions
    ///      and at most maxTxLength bytes) and posted padding (O(1): the last posted transaction has
    ///      from != 0; with the circuit's rule that padding slots come after every real one, no
    ///      posted transaction is padding).
    function checkData(
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 feeLength,
        uint256 maxTxLength,
        uint256 txBytes,
        uint256 idxBytes
    ) internal pure {
        if (l1Results.length != 16 * uint256(l1Count)) {
            revert IRollup.BadL1ResultsLength(l1Results.length, 16 * uint256(l1Count));
        }
        if (feeIdx.length != feeLength) revert IRollup.BadFeeDataLength(feeIdx.length, feeLength);
        if (txData.length > maxTxLength || txData.length % txBytes != 0) {
            revert IRollup.BadTxDataLength(txData.length, maxTxLength);
        }
        if (txData.length != 0) {
            uint256 lastFrom;
            uint256 fromShift = 256 - 8 * idxBytes;
            assembly ("memory-safe") {
                lastFrom := shr(fromShift, calldataload(sub(add(txData.offset, txData.length), txBytes)))
            }
            if (lastFrom == 0) revert IRollup.TrailingPadding(txData.length / txBytes - 1);
        }
    }

    /// @dev A new coefficient array of m data coefficients and the commitment, with the header
    ///      in place: c[0..4) and c[m]. `new uint256[]` is zeroed, so unused L1 slots and padding
    ///      are already in place. c[2] binds the chain and the calling contract (the rollup).
    function header(
        uint256 m,
        uint256 oldRoot,
        uint256 newRoot,
        uint256 l1HashEnd,
        uint256 commitment
    ) internal view returns (uint256[] memory c) {
        c = new uint256[](m + 1);
        c[0] = oldRoot;
        c[1] = newRoot;
        c[2] = (block.chainid << 160) | uint256(uint160(address(this)));
        c[3] = l1HashEnd;
        c[m] = commitment;
    }

    /// @dev Writes c[4] = l1Count ‖ feeIdx and c[5 + j] = the j-th uint128 of l1Results. Expects
    ///      checked data (checkData): 1 <= feeIdx.length <= 30, so the shift is < 256.
    function writeL1(uint256[] memory c, uint8 l1Count, bytes calldata l1Results, bytes calldata feeIdx) internal pure {
        uint256 feeBits = 8 * feeIdx.length;
        assembly ("memory-safe") {
            let data := add(c, 32)
            mstore(add(data, 128), or(shl(feeBits, l1Count), shr(sub(256, feeBits), calldataload(feeIdx.offset))))
            for {
                let j := 0
            } lt(j, l1Count) {
                j := add(j, 1)
            } {
                mstore(add(data, mul(add(5, j), 32)), shr(128, calldataload(add(l1Results.offset, mul(j, 16)))))
            }
        }
    }

    /// @dev The masks `writeTxs` finds exits with: the `to` fields of the transactions in a
    ///      transaction coefficient (a group of perCoefficient), their lowest and their highest bits.
    ///      `to` sits at bits [48, 48 + 8·idxBytes) of its transaction's word.
    function toFieldMasks(
        uint256 idxBytes,
        uint256 perCoefficient
    ) internal pure returns (uint256 mask, uint256 low, uint256 high) {
        uint256 toBits = 8 * idxBytes;
        for (uint256 k = 0; k < perCoefficient; k++) {
            uint256 at = 48 + k * 8 * (2 * idxBytes + 6);
            mask |= ((1 << toBits) - 1) << at;
            low |= 1 << at;
            high |= 1 << (at + toBits - 1);
        }
    }

    /// @dev Writes the transaction coefficients from c[first] on: group t is the bytes
    ///      [t·groupBytes, (t+1)·groupBytes) of txData as a big-endian integer, bytes past its end
    ///      zero (calldataload reads whatever follows txData in the calldata, so the last, partial
    ///      group is masked). Expects checked data (checkData), so the groups fit in c. Returns
    ///      false only if no transaction is an exit: a full group has one iff one of its `to`
    ///      fields is 0, which x = word & mask shows as a set high bit of (x - low) & ~x & high (a
    ///      zero field borrows through its high bit; a non-zero one cannot set it; a borrow into a
    ///      higher field only matters once a zero field exists); a partial last group counts as
    ///      maybe. This loop is the marginal L1 execution cost of a transfer (~20 gas): unrolled by
    ///      four groups.
    function writeTxs(
        uint256[] memory c,
        uint256 first,
        bytes calldata txData,
        uint256 groupBytes,
        uint256 mask,
        uint256 low,
        uint256 high
    ) internal pure returns (bool maybeExits) {
        assembly ("memory-safe") {
            // Bits of `high` set where a group's `to` field is zero.
            function zeroTo(w, mask_, low_, high_) -> z {
                let x := and(w, mask_)
                z := and(and(sub(x, low_), not(x)), high_)
            }
            let out := add(add(c, 32), mul(first, 32))
            let shift := sub(256, mul(groupBytes, 8))
            let p := txData.offset
            let fullEnd := sub(add(p, txData.length), mod(txData.length, groupBytes))
            let g2 := add(groupBytes, groupBytes)
            let zeros := 0
            // Four full groups per round while they remain, then one at a time.
            for {} iszero(gt(add(p, add(g2, g2)), fullEnd)) {
                p := add(p, add(g2, g2))
                out := add(out, 128)
            } {
                let w := shr(shift, calldataload(p))
                mstore(out, w)
                zeros := or(zeros, zeroTo(w, mask, low, high))
                w := shr(shift, calldataload(add(p, groupBytes)))
                mstore(add(out, 32), w)
                zeros := or(zeros, zeroTo(w, mask, low, high))
                w := shr(shift, calldataload(add(p, g2)))
                mstore(add(out, 64), w)
                zeros := or(zeros, zeroTo(w, mask, low, high))
                w := shr(shift, calldataload(add(add(p, g2), groupBytes)))
                mstore(add(out, 96), w)
                zeros := or(zeros, zeroTo(w, mask, low, high))
            }
            for {} lt(p, fullEnd) {
                p := add(p, groupBytes)
                out := add(out, 32)
            } {
                let w := shr(shift, calldataload(p))
                mstore(out, w)
                zeros := or(zeros, zeroTo(w, mask, low, high))
            }
            let rest := sub(add(txData.offset, txData.length), p)
            if rest {
                mstore(out, shr(shift, and(calldataload(p), not(shr(mul(rest, 8), not(0))))))
                zeros := 1
            }
            maybeExits := iszero(iszero(zeros))
        }
    }

    /// @dev The public signals of coefficients `c` (the commitment last): z = keccak256 of all of
    ///      them mod r, y = Σ c[i]·z^i mod r (Horner from the last word down to c[0]). This loop is
    ///      the Rollup's per-coefficient cost (a full batch has one coefficient per
    ///      txsPerCoefficient transfers): unrolled by four words, one pointer, r in a variable.
    function evaluate(uint256[] memory c) internal pure returns (uint256 y, uint256 z) {
        assembly ("memory-safe") {
            let r := SNARK_FIELD
            let data := add(c, 32)
            let p := add(data, mul(mload(c), 32)) // one past the last word
            z := mod(keccak256(data, sub(p, data)), r)
            // The top words four at a time, down to the m mod 4 lowest, then those one by one.
            let low := add(data, mul(mod(mload(c), 4), 32))
            for {} gt(p, low) {} {
                p := sub(p, 128)
                y := addmod(mulmod(y, z, r), mload(add(p, 96)), r)
                y := addmod(mulmod(y, z, r), mload(add(p, 64)), r)
                y := addmod(mulmod(y, z, r), mload(add(p, 32)), r)
                y := addmod(mulmod(y, z, r), mload(p), r)
            }
            for {} gt(p, data) {} {
                p := sub(p, 32)
                y := addmod(mulmod(y, z, r), mload(p), r)
            }
        }
    }
}
