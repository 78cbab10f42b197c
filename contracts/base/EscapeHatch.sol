// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPoseidon3, IPoseidon4, IPoseidon8} from "../interfaces/IPoseidon.sol";
import {IRollup} from "../interfaces/IRollup.sol";
import {AccountTree} from "../libraries/AccountTree.sol";
import {Exits} from "./Exits.sol";
import {L1Queue} from "./L1Queue.sol";

/// @title Escape mode: when the sequencer stops, owners leave with a Merkle proof of their balance
/// @notice If an L1 operation waits escapeDelay and no batch comes for inactivityDelay, anyone may
///         switch the rollup into escape mode for good: then every account's owner withdraws the
///         balance the last proven root holds for it, and every unprocessed L1 operation is
///         refunded (deposit and fee).
abstract contract EscapeHatch is Exits, L1Queue {
    /// @inheritdoc IRollup
    IPoseidon3 public immutable poseidon3;
    /// @inheritdoc IRollup
    IPoseidon4 public immutable poseidon4;
    /// @inheritdoc IRollup
    IPoseidon8 public immutable poseidon8;
    /// @inheritdoc IRollup
    uint256 public immutable escapeDelay;
    /// @inheritdoc IRollup
    uint256 public immutable inactivityDelay;
    /// @dev The account tree's shape (AccountTree.shape).
    uint256 private immutable treeLevels8;
    bool private immutable treeHasTop;

    /// @dev Only stores the parameters: Rollup's constructor checks them (and the Poseidon
    ///      contracts) before anything can use them.
    constructor(IPoseidon3 poseidon3_, IPoseidon4 poseidon4_, IPoseidon8 poseidon8_, Config memory c) {
        poseidon3 = poseidon3_;
        poseidon4 = poseidon4_;
        poseidon8 = poseidon8_;
        escapeDelay = c.escapeDelay;
        inactivityDelay = c.inactivityDelay;
        (treeLevels8, treeHasTop) = AccountTree.shape(c.depth);
    }

    /// @inheritdoc IRollup
    function escapeAllowedAfter() public view returns (uint256) {
        uint256 processed = l1Processed;
        if (processed == l1OpCount) return type(uint256).max;
        uint256 waited = uint256(l1Ops[processed].queuedAt) + escapeDelay;
        uint256 idle = uint256(lastBatchAt) + inactivityDelay;
        return waited > idle ? waited : idle;
    }

    /// @inheritdoc IRollup
    function activateEscape() external notEscaped {
        uint256 allowedAfter = escapeAllowedAfter();
        if (allowedAfter == type(uint256).max) revert NoPendingL1Op();
        if (block.timestamp <= allowedAfter) revert EscapeTooEarly(allowedAfter);
        escapeMode = true;
        emit EscapeActivated(stateRoot, l1Processed);
    }

    /// @inheritdoc IRollup
    function escapeWithdraw(
        uint32 accountIdx,
        uint256 ax,
        uint256 ay,
        uint128 balance,
        uint32 nonce,
        uint256[] calldata siblings
    ) external {
        if (!escapeMode) revert NotInEscapeMode();
        _checkAccount(accountIdx);
        AccountRecord memory account = accounts[accountIdx];
        if (msg.sender != account.owner) revert NotAccountOwner();
        if (escapeWithdrawn[accountIdx]) revert AlreadyWithdrawn(accountIdx);
        uint256 expected = AccountTree.proofLength(treeLevels8, treeHasTop);
        if (siblings.length != expected) revert BadProofLength(siblings.length, expected);

        uint256 leaf = AccountTree.leaf(poseidon3, ax, ay, account.tokenId, balance, nonce);
        if (_rootOf(leaf, accountIdx, siblings) != stateRoot) revert InvalidMerkleProof();

        escapeWithdrawn[accountIdx] = true;
        emit EscapeWithdrawal(accountIdx, msg.sender, account.tokenId, balance);
        if (balance != 0) _credit(msg.sender, account.tokenId, balance);
    }

    /// @dev The root `leaf` at position `index` and `siblings` hash to (AccountTree.rootOf).
    function _rootOf(uint256 leaf, uint256 index, uint256[] calldata siblings) private view returns (uint256) {
        return AccountTree.rootOf(poseidon4, poseidon8, treeLevels8, treeHasTop, leaf, index, siblings);
    }

    /// @inheritdoc IRollup
    function refundL1Op(uint256 queueIndex) external {
        if (!escapeMode) revert NotInEscapeMode();
        L1Op storage op = l1Ops[queueIndex];
        uint256 fee = l1OpFee;
        // Only a deposit (CREATE, DEPOSIT) brought its amount in; a forced exit or transfer, its fee alone.
        uint256 amount = op.kind == CREATE || op.kind == DEPOSIT ? op.amount : 0;
        if (queueIndex < l1Processed || queueIndex >= l1OpCount || op.refunded || (amount == 0 && fee == 0))
            revert NotRefundable(queueIndex);
        op.refunded = true;
        emit L1OpRefunded(queueIndex, op.owner, op.tokenId, amount, fee);
        if (amount != 0) _credit(op.owner, op.tokenId, amount);
        if (fee != 0) _credit(op.owner, 0, fee);
    }
}
