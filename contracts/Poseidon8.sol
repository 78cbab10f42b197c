// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Poseidon over 8 field elements (circomlib parameters: t = 9, 8 full and 63 partial rounds)
/// @notice Hashes the account tree's 8-ary levels on L1 (escape withdrawals, the empty tree's root).
///         circomlibjs's EVM generator keeps the whole state on the stack and stops at 6 inputs,
///         so this one keeps it in memory. It computes circomlib's optimised form of the
///         permutation (sparse matrices in the partial rounds, as circomlibjs's poseidon_opt and
///         circomlib's poseidon.circom): the same function, with 1,719 instead of 5,751
///         multiplications in the linear layers. Its constants live in two data contracts
///         (`table0`, `table1`) whose code is one 0x00 byte (calling them does nothing) then
///         32-byte words: C (135), the transposed M (81), the transposed P (81), S (1,071), split
///         at word 767 (the contract size limit). src/chain/poseidonBytecode.ts writes them from circomlibjs's
///         constants, the ones src/model/crypto.ts hashes with; the Poseidon contract tests compare the
///         two on random and extreme inputs. Like circomlibjs's contracts, inputs are reduced mod r
///         (callers range-check what they bind).
contract Poseidon8 {
    uint256 private constant Q = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 private constant WORDS = 135 + 81 + 81 + 1071;
    uint256 private constant WORDS0 = 767;
    // Word offsets in the table.
    uint256 private constant C_AT = 0;
    uint256 private constant M_AT = 135;
    uint256 private constant P_AT = 216;
    uint256 private constant S_AT = 297;

    /// @notice The data contracts holding the constants (words [0, 767) and [767, 1368)).
    address public immutable table0;
    address public immutable table1;

    error BadTable(address table);

    constructor(address table0_, address table1_) {
        if (table0_.code.length != 1 + 32 * WORDS0) revert BadTable(table0_);
        if (table1_.code.length != 1 + 32 * (WORDS - WORDS0)) revert BadTable(table1_);
        table0 = table0_;
        table1 = table1_;
    }

    // One straight-line assembly routine: the rounds unrolled, nothing to split off.
    // solhint-disable-next-line function-max-lines
    function poseidon(uint256[8] calldata /* input */) external view returns (uint256 out) {
        (address t0, address t1) = (table0, table1);
        assembly ("memory-safe") {
            // row · s over the 9 state words, the products written out.
            function dot(row, s) -> acc {
                acc := mulmod(mload(row), mload(s), Q)
                acc := addmod(acc, mulmod(mload(add(row, 0x20)), mload(add(s, 0x20)), Q), Q)
                acc := addmod(acc, mulmod(mload(add(row, 0x40)), mload(add(s, 0x40)), Q), Q)
                acc := addmod(acc, mulmod(mload(add(row, 0x60)), mload(add(s, 0x60)), Q), Q)
                acc := addmod(acc, mulmod(mload(add(row, 0x80)), mload(add(s, 0x80)), Q), Q)
                acc := addmod(acc, mulmod(mload(add(row, 0xa0)), mload(add(s, 0xa0)), Q), Q)
                acc := addmod(acc, mulmod(mload(add(row, 0xc0)), mload(add(s, 0xc0)), Q), Q)
                acc := addmod(acc, mulmod(mload(add(row, 0xe0)), mload(add(s, 0xe0)), Q), Q)
                acc := addmod(acc, mulmod(mload(add(row, 0x100)), mload(add(s, 0x100)), Q), Q)
            }
            function pow5(x) -> y {
                let x2 := mulmod(x, x, Q)
                y := mulmod(mulmod(x2, x2, Q), x, Q)
            }
            // s = mat · s (mat row by row), through the scratch buffer u.
            function mix(mat, s, u) {
                for {
                    let i := 0
                } lt(i, 0x120) {
                    i := add(i, 0x20)
                } {
                    mstore(add(u, i), dot(add(mat, mul(9, i)), s))
                }
                for {
                    let i := 0
                } lt(i, 0x120) {
                    i := add(i, 0x20)
                } {
                    mstore(add(s, i), mload(add(u, i)))
                }
            }
            // x^5 on every word of s, then (if c ≠ 0) the constants at c added.
            function sboxAll(s, c) {
                for {
                    let i := 0
                } lt(i, 0x120) {
                    i := add(i, 0x20)
                } {
                    let y := pow5(mload(add(s, i)))
                    if c {
                        y := addmod(y, mload(add(c, i)), Q)
                    }
                    mstore(add(s, i), y)
                }
            }

            let tbl := mload(0x40)
            let s := add(tbl, mul(32, WORDS))
            let u := add(s, 0x120)
            mstore(0x40, add(u, 0x120))
            extcodecopy(t0, tbl, 1, mul(32, WORDS0))
            extcodecopy(t1, add(tbl, mul(32, WORDS0)), 1, mul(32, sub(WORDS, WORDS0)))
            let c := add(tbl, mul(32, C_AT))
            let m := add(tbl, mul(32, M_AT))
            let p := add(tbl, mul(32, P_AT))
            let sp := add(tbl, mul(32, S_AT))

            // state = [0, inputs] + C[0..9)
            mstore(s, mload(c))
            for {
                let i := 0x20
            } lt(i, 0x120) {
                i := add(i, 0x20)
            } {
                mstore(add(s, i), addmod(mod(calldataload(add(4, sub(i, 0x20))), Q), mload(add(c, i)), Q))
            }
            // Full rounds 1..3: x^5, constants, M; round 4: x^5, constants, P.
            for {
                let r := 1
            } lt(r, 4) {
                r := add(r, 1)
            } {
                sboxAll(s, add(c, mul(0x120, r)))
                mix(m, s, u)
            }
            sboxAll(s, add(c, mul(0x120, 4)))
            mix(p, s, u)
            // 63 partial rounds: x^5 and a constant on word 0, then the sparse matrix of the round:
            // s0' = S[r][0..9) · s, s_k += s0 · S[r][8 + k] (k = 1..8, s0 before the update).
            let cp := add(c, mul(0x120, 5))
            for {
                let r := 0
            } lt(r, 63) {
                r := add(r, 1)
            } {
                let x := addmod(pow5(mload(s)), mload(add(cp, mul(0x20, r))), Q)
                mstore(s, x)
                let row := add(sp, mul(mul(17, 0x20), r))
                let s0 := dot(row, s)
                for {
                    let k := 0x20
                } lt(k, 0x120) {
                    k := add(k, 0x20)
                } {
                    mstore(add(s, k), addmod(mload(add(s, k)), mulmod(x, mload(add(row, add(0x100, k))), Q), Q))
                }
                mstore(s, s0)
            }
            // Full rounds 5..7: x^5, constants, M; round 8: x^5, M.
            let cf := add(cp, mul(0x20, 63))
            for {
                let r := 0
            } lt(r, 3) {
                r := add(r, 1)
            } {
                sboxAll(s, add(cf, mul(0x120, r)))
                mix(m, s, u)
            }
            sboxAll(s, 0)
            mix(m, s, u)
            out := mload(s)
        }
    }
}
