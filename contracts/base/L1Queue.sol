// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "../interfaces/IERC20.sol";
import {IPoseidon5} from "../interfaces/IPoseidon.sol";
import {IRollup} from "../interfaces/IRollup.sol";
import {TokenTransfer} from "../libraries/TokenTransfer.sol";
import {RollupStorage} from "./RollupStorage.sol";

/// @title The L1-operation queue: tokens, deposits, forced exits and transfers, and what a batch must consume
/// @notice L1 operations (deposits into new or existing accounts, forced exits and transfers) are queued in order
///         into a Poseidon hash chain, h_{n+1} = Poseidon(h_n, kind·2^192 + accountIdx·2^160 +
///         tokenId·2^128 + amount, owner, ax, ay) (docs/PROTOCOL.md "L1 operations"), which the
///         batches consume in order and at full capacity.
/// @dev Every L1 operation pays l1OpFee in msg.value (an ETH deposit: the deposit plus the fee). The
///      fee is held until a batch consumes the operation, then credited (token 0) to the address that
///      submitted that batch; in escape mode an unprocessed operation's fee is refunded with it.
abstract contract L1Queue is RollupStorage {
    /// @inheritdoc IRollup
    IPoseidon5 public immutable poseidon5;
    /// @inheritdoc IRollup
    address public immutable admin;
    /// @inheritdoc IRollup
    uint8 public immutable depth;
    /// @inheritdoc IRollup
    uint8 public immutable l1Slots;
    /// @inheritdoc IRollup
    uint256 public immutable l1Grace;
    /// @inheritdoc IRollup
    uint256 public immutable l1OpFee;
    /// @inheritdoc IRollup
    uint256 public immutable minDeposit;

    /// @dev Only stores the parameters: Rollup's constructor checks them (and the Poseidon
    ///      contract) before anything can use them.
    constructor(IPoseidon5 poseidon5_, Config memory c) {
        poseidon5 = poseidon5_;
        admin = msg.sender;
        depth = c.depth;
        l1Slots = c.l1Slots;
        l1Grace = c.l1Grace;
        l1OpFee = c.l1OpFee;
        minDeposit = c.minDeposit;
    }

    // ---------------------------------------------------------------------------------------
    // Tokens

    /// @inheritdoc IRollup
    function registerToken(address token, uint256 minDeposit_) external returns (uint32 tokenId) {
        if (msg.sender != admin) revert NotAdmin();
        if (token == address(0)) revert ZeroAddress();
        if (token.code.length == 0) revert NotContract(token);
        if (tokenIdOf[token] != 0) revert TokenAlreadyRegistered(token, tokenIdOf[token]);
        if (minDeposit_ == 0 || minDeposit_ >= AMOUNT_LIMIT) revert BadMinDeposit(minDeposit_);
        tokenId = tokenCount++;
        tokenAddress[tokenId] = token;
        tokenIdOf[token] = tokenId;
        tokenMinDeposit[tokenId] = minDeposit_;
        emit TokenRegistered(tokenId, token, minDeposit_);
    }

    /// @inheritdoc IRollup
    function minDepositOf(uint32 tokenId) public view returns (uint256) {
        return tokenId == 0 ? minDeposit : tokenMinDeposit[tokenId];
    }

    // ---------------------------------------------------------------------------------------
    // L1 operations

    /// @inheritdoc IRollup
    function depositETH(uint256 ax, uint256 ay) external payable notEscaped returns (uint32 accountIdx) {
        uint128 amount = _ethDeposit();
        accountIdx = _createAccount(0, ax, ay);
        _queue(CREATE, accountIdx, 0, amount, ax, ay);
    }

    /// @inheritdoc IRollup
    function depositETHTo(uint32 accountIdx) external payable notEscaped {
        uint128 amount = _ethDeposit();
        _checkAccount(accountIdx);
        _queue(DEPOSIT, accountIdx, 0, amount, 0, 0);
    }

    /// @inheritdoc IRollup
    function depositERC20(
        uint32 tokenId,
        uint256 amount,
        uint256 ax,
        uint256 ay
    ) external payable notEscaped nonReentrant returns (uint32 accountIdx) {
        _checkFee();
        uint128 received = _pullToken(tokenId, amount);
        accountIdx = _createAccount(tokenId, ax, ay);
        _queue(CREATE, accountIdx, tokenId, received, ax, ay);
    }

    /// @inheritdoc IRollup
    function depositERC20To(
        uint32 accountIdx,
        uint32 tokenId,
        uint256 amount
    ) external payable notEscaped nonReentrant {
        _checkFee();
        _checkAccount(accountIdx);
        uint128 received = _pullToken(tokenId, amount);
        _queue(DEPOSIT, accountIdx, tokenId, received, 0, 0);
    }

    /// @inheritdoc IRollup
    function forceExit(uint32 accountIdx) external payable notEscaped {
        _checkFee();
        _checkAccount(accountIdx);
        if (accounts[accountIdx].owner != msg.sender) revert NotAccountOwner();
        _queue(FORCE_EXIT, accountIdx, accounts[accountIdx].tokenId, 0, 0, 0);
    }

    /// @inheritdoc IRollup
    function forceTransfer(uint32 from, uint32 to, uint128 amount) external payable notEscaped {
        _checkFee();
        _checkAccount(from);
        _checkAccount(to);
        AccountRecord storage sender = accounts[from];
        if (sender.owner != msg.sender) revert NotAccountOwner();
        if (to == from) revert SelfTransfer(from);
        uint32 tokenId = sender.tokenId;
        uint32 toToken = accounts[to].tokenId;
        if (toToken != tokenId) revert TokenMismatch(to, toToken, tokenId);
        if (amount == 0) revert BadAmount(0);
        _queue(FORCE_TRANSFER, from, tokenId, amount, to, 0);
    }

    /// @dev The deposit an ETH deposit makes: msg.value less the fee, at least minDeposit.
    function _ethDeposit() private view returns (uint128) {
        uint256 fee = l1OpFee;
        if (msg.value < fee) revert WrongFee(msg.value, fee);
        return _checkAmount(msg.value - fee, minDeposit);
    }

    /// @dev An operation that moves no ETH must pay exactly the fee.
    function _checkFee() private view {
        if (msg.value != l1OpFee) revert WrongFee(msg.value, l1OpFee);
    }

    function _checkAmount(uint256 amount, uint256 minimum) private pure returns (uint128) {
        if (amount < minimum) revert DepositTooSmall(amount, minimum);
        if (amount >= AMOUNT_LIMIT) revert BadAmount(amount);
        return uint128(amount);
    }

    /// @dev Reverts unless `accountIdx` is an account created so far (1 ..= accountCount).
    function _checkAccount(uint32 accountIdx) internal view {
        if (accountIdx == 0 || accountIdx > accountCount) revert UnknownAccount(accountIdx);
    }

    /// @dev Assigns the next account index to msg.sender and `tokenId`.
    function _createAccount(uint32 tokenId, uint256 ax, uint256 ay) private returns (uint32 accountIdx) {
        if (ax >= SNARK_FIELD) revert NotInField(ax);
        if (ay >= SNARK_FIELD) revert NotInField(ay);
        uint256 next = uint256(accountCount) + 1;
        if (next >> (2 * uint256(depth)) != 0) revert TreeFull();
        accountIdx = uint32(next);
        accountCount = accountIdx;
        accounts[accountIdx] = AccountRecord(msg.sender, tokenId);
    }

    /// @dev Moves `amount` of ERC-20 `tokenId` from msg.sender here; returns the balance increase,
    ///      which must be at least the token's minimum deposit (a token with a transfer fee
    ///      delivers less than `amount`).
    function _pullToken(uint32 tokenId, uint256 amount) private returns (uint128) {
        address token = tokenAddress[tokenId];
        if (token == address(0)) revert TokenNotRegistered(tokenId);
        uint256 minimum = tokenMinDeposit[tokenId];
        _checkAmount(amount, minimum);
        uint256 before = IERC20(token).balanceOf(address(this));
        TokenTransfer.transferFrom(token, msg.sender, address(this), amount);
        uint256 balance = IERC20(token).balanceOf(address(this));
        return _checkAmount(balance > before ? balance - before : 0, minimum);
    }

    /// @dev Appends an operation by msg.sender to the queue and extends the hash chain.
    function _queue(uint8 kind, uint32 accountIdx, uint32 tokenId, uint128 amount, uint256 ax, uint256 ay) private {
        uint256 n = l1OpCount;
        uint256 e1 = (uint256(kind) << 192) | (uint256(accountIdx) << 160) | (uint256(tokenId) << 128) | amount;
        uint256 h = poseidon5.poseidon([l1ChainHash[n], e1, uint256(uint160(msg.sender)), ax, ay]);
        l1Ops[n] = L1Op(kind, accountIdx, tokenId, amount, uint56(block.timestamp), msg.sender, false);
        l1ChainHash[n + 1] = h;
        l1OpCount = uint64(n + 1);
        emit L1OpQueued(n, kind, accountIdx, msg.sender, tokenId, amount, ax, ay, h);
    }

    // ---------------------------------------------------------------------------------------
    // Consumption by batches

    /// @dev Rejects a batch that consumes more than min(pending, slots) operations (slots: the L1
    ///      slots of the instance that proves it), or fewer while the first operation it leaves out
    ///      is l1Grace seconds old or older (O(1): the first operation left out is the oldest one
    ///      skipped), unless the batch consumed at least one and the one it leaves out is a forced
    ///      transfer: the circuit takes one only in its first L1 slot, so it starts the next batch.
    ///      Returns l1HashEnd, the queue hash after the operations the batch consumes.
    function _checkL1Count(uint8 l1Count, uint256 slots) internal view returns (uint256 l1HashEnd) {
        uint256 processed = l1Processed;
        uint256 pending = l1OpCount - processed;
        uint256 maxL1 = pending < slots ? pending : slots;
        if (l1Count > maxL1) revert TooManyL1Ops(l1Count, maxL1);
        if (l1Count < maxL1) {
            uint256 skipped = processed + l1Count;
            L1Op storage next = l1Ops[skipped];
            (uint8 kind, uint256 queuedAt) = (next.kind, next.queuedAt);
            if (block.timestamp - queuedAt >= l1Grace && (kind != FORCE_TRANSFER || l1Count == 0))
                revert L1OpSkipped(skipped, queuedAt);
        }
        return l1ChainHash[processed + l1Count];
    }
}
