// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRollup} from "../interfaces/IRollup.sol";
import {PublicInputs} from "../libraries/PublicInputs.sol";

/// @title The rollup's mutable state, declared once for the core and every base
/// @notice The state variables of Rollup (docs in IRollup) and the guards over them. Every base
///         contract (L1Queue, Exits, EscapeHatch) and the core (Rollup) inherits this one
///         declaration, so the storage layout is fixed in one place whatever the inheritance
///         order: slot 0 stateRoot; slot 1 sequencer ‖ batchNumber ‖ l1Processed (read and written
///         by every batch); slot 2 l1OpCount ‖ accountCount ‖ tokenCount ‖ escapeMode ‖
///         lastBatchAt ‖ lastSequencerBatchAt (read and written by every L1 operation, read by
///         every batch, which writes lastBatchAt, and the sequencer's lastSequencerBatchAt); then the mappings l1Ops, l1ChainHash, accounts, tokenAddress,
///         tokenMinDeposit, tokenIdOf, claimable, escapeWithdrawn (slots 3 to 10). The immutable
///         parameters live with the code that uses them (they are code, not storage).
abstract contract RollupStorage is IRollup {
    /// @inheritdoc IRollup
    uint256 public constant SNARK_FIELD = PublicInputs.SNARK_FIELD;
    /// @dev Amounts and balances are below 2^128.
    uint256 internal constant AMOUNT_LIMIT = 1 << 128;

    /// @inheritdoc IRollup
    uint8 public constant CREATE = 1;
    /// @inheritdoc IRollup
    uint8 public constant DEPOSIT = 2;
    /// @inheritdoc IRollup
    uint8 public constant FORCE_EXIT = 3;
    /// @inheritdoc IRollup
    uint8 public constant FORCE_TRANSFER = 4;

    /// @inheritdoc IRollup
    uint256 public stateRoot;
    // One slot, read and written by every batch.
    /// @inheritdoc IRollup
    address public sequencer;
    /// @inheritdoc IRollup
    uint32 public batchNumber;
    /// @inheritdoc IRollup
    uint64 public l1Processed;
    // One slot, read and written by every L1 operation, read by every batch (which writes lastBatchAt
    // and, the sequencer's, lastSequencerBatchAt).
    /// @inheritdoc IRollup
    uint64 public l1OpCount;
    /// @inheritdoc IRollup
    uint32 public accountCount;
    /// @inheritdoc IRollup
    uint32 public tokenCount;
    /// @inheritdoc IRollup
    bool public escapeMode;
    /// @inheritdoc IRollup
    uint56 public lastBatchAt;
    /// @inheritdoc IRollup
    uint56 public lastSequencerBatchAt;

    /// @inheritdoc IRollup
    mapping(uint256 => L1Op) public l1Ops;
    /// @inheritdoc IRollup
    mapping(uint256 => uint256) public l1ChainHash;
    /// @inheritdoc IRollup
    mapping(uint256 => AccountRecord) public accounts;
    /// @inheritdoc IRollup
    mapping(uint32 => address) public tokenAddress;
    /// @inheritdoc IRollup
    mapping(uint32 => uint256) public tokenMinDeposit;
    /// @inheritdoc IRollup
    mapping(address => uint32) public tokenIdOf;
    /// @inheritdoc IRollup
    mapping(address => mapping(uint32 => uint256)) public claimable;
    /// @inheritdoc IRollup
    mapping(uint256 => bool) public escapeWithdrawn;
    bool private transient locked;

    /// @dev L1 operations and batches: not once escape mode is on.
    modifier notEscaped() {
        if (escapeMode) revert EscapeMode();
        _;
    }

    /// @dev Calls that make an external call to a token (ERC-20 deposits, withdraw).
    modifier nonReentrant() {
        if (locked) revert Reentrancy();
        locked = true;
        _;
        locked = false;
    }
}
