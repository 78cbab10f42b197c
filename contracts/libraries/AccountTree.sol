// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPoseidon3, IPoseidon4, IPoseidon8} from "../interfaces/IPoseidon.sol";

/// @title The L2 account tree: its shape, its leaves and Merkle proofs against its root
/// @notice The tree of 4^depth accounts (src/model/tree.ts is the off-chain twin): floor(2·depth/3)
///         8-ary levels (Poseidon over 8 inputs), then a 4-ary root level (Poseidon over 4 inputs)
///         iff 2·depth mod 3 != 0. A leaf is Poseidon(ax, ay, tokenId·2^160 + balance·2^32 +
///         nonce); an empty slot is 0.
library AccountTree {
    /// @dev The shape of the tree of 4^depth accounts (src/model/tree.ts treeLevels).
    function shape(uint8 depth) internal pure returns (uint256 levels8, bool hasTop) {
        levels8 = (2 * uint256(depth)) / 3;
        hasTop = (2 * uint256(depth)) % 3 != 0;
    }

    /// @dev The root of the empty tree: zero[0] = 0, zero[l+1] = Poseidon(zero[l] x arity).
    function emptyRoot(
        IPoseidon4 poseidon4,
        IPoseidon8 poseidon8,
        uint256 levels8,
        bool hasTop
    ) internal view returns (uint256 zero) {
        for (uint256 level = 0; level < levels8; level++) {
            zero = poseidon8.poseidon([zero, zero, zero, zero, zero, zero, zero, zero]);
        }
        if (hasTop) zero = poseidon4.poseidon([zero, zero, zero, zero]);
    }

    /// @dev Siblings in a Merkle proof: 7 per 8-ary level, 3 for the 4-ary root level.
    function proofLength(uint256 levels8, bool hasTop) internal pure returns (uint256) {
        return 7 * levels8 + (hasTop ? 3 : 0);
    }

    /// @dev The leaf of an account: Poseidon(ax, ay, tokenId·2^160 + balance·2^32 + nonce).
    function leaf(
        IPoseidon3 poseidon3,
        uint256 ax,
        uint256 ay,
        uint32 tokenId,
        uint128 balance,
        uint32 nonce
    ) internal pure returns (uint256) {
        return poseidon3.poseidon([ax, ay, (uint256(tokenId) << 160) | (uint256(balance) << 32) | uint256(nonce)]);
    }

    /// @dev The root that `node` at leaf position `index` and `siblings` hash to. `siblings` holds,
    ///      level by level from the leaves, the arity − 1 siblings in child-position order skipping
    ///      the path node's own position; its length must be proofLength(levels8, hasTop).
    function rootOf(
        IPoseidon4 poseidon4,
        IPoseidon8 poseidon8,
        uint256 levels8,
        bool hasTop,
        uint256 node,
        uint256 index,
        uint256[] calldata siblings
    ) internal view returns (uint256) {
        for (uint256 level = 0; level < levels8; level++) {
            uint256[8] memory children;
            uint256 pos = index & 7;
            uint256 k = 7 * level;
            for (uint256 c = 0; c < 8; c++) children[c] = childAt(siblings, k, pos, node, c);
            node = poseidon8.poseidon(children);
            index >>= 3;
        }
        if (hasTop) {
            uint256 pos = index & 3;
            uint256 k = 7 * levels8;
            uint256[4] memory children;
            for (uint256 c = 0; c < 4; c++) children[c] = childAt(siblings, k, pos, node, c);
            node = poseidon4.poseidon(children);
        }
        return node;
    }

    /// @dev Child `c` of a level whose path node is `node` at child position `pos` and whose
    ///      siblings start at offset `k` of `siblings` (see rootOf).
    function childAt(
        uint256[] calldata siblings,
        uint256 k,
        uint256 pos,
        uint256 node,
        uint256 c
    ) private pure returns (uint256) {
        if (c < pos) return siblings[k + c];
        if (c == pos) return node;
        return siblings[k + c - 1];
    }
}
