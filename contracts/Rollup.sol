// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "./interfaces/IERC20.sol";
import {IPoseidon3, IPoseidon4, IPoseidon5, IPoseidon8} from "./interfaces/IPoseidon.sol";
import {IVerifier} from "./interfaces/IVerifier.sol";

/// @title zkr rollup
/// @notice Holds the root of the L2 account tree and advances it one batch at a time, each batch
///         carrying a Groth16 proof of the transition; queues L1 operations (deposits and forced
///         exits, each paying the L1-operation fee) into a Poseidon hash chain the batches consume
///         in order and at full capacity; holds the deposited ETH and ERC-20 tokens and pays out
///         exits as pull withdrawals; and, if the sequencer stops while an L1 operation waits past
///         the deadline, lets owners escape with a Merkle proof of their balance. Normative
///         description: docs/PROTOCOL.md.
/// @dev Indexing: L1 operations have 0-based queue indexes; `l1ChainHash[n]` is the chain value
///      h_n after the first n operations (h_0 = 0). Account indexes start at 1.
contract Rollup {
    /// @notice BN254 scalar field order `r`: roots, keys and the proof's public signals are below it.
    uint256 public constant SNARK_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Amounts and balances are below 2^128.
    uint256 private constant AMOUNT_LIMIT = 1 << 128;

    /// @notice L1 operation kinds (docs/PROTOCOL.md, "L1 operations").
    uint8 public constant CREATE = 1;
    uint8 public constant DEPOSIT = 2;
    uint8 public constant FORCE_EXIT = 3;

    /// @notice Verifier of the circuit instance this rollup runs: checks single proofs (submitBatch)
    ///         and k proofs at once (submitBatches) against one verifying key.
    IVerifier public immutable verifier;
    /// @notice The hash of that verifying key (IVerifier.verifyingKeyHash; docs/PROTOCOL.md,
    ///         "Verifying key hash"): the deployer names it, the constructor checks the verifier
    ///         has it, and anyone compares it with the verification key JSON (`zkr status --l1`).
    bytes32 public immutable verifyingKeyHash;
    IPoseidon3 public immutable poseidon3;
    IPoseidon4 public immutable poseidon4;
    IPoseidon5 public immutable poseidon5;
    IPoseidon8 public immutable poseidon8;
    /// @notice Registers ERC-20 tokens (the deployer).
    address public immutable admin;
    /// @notice The account tree holds 4^depth accounts (levels: see the constructor).
    uint8 public immutable depth;
    /// @notice Transaction slots per batch (`N`).
    uint16 public immutable batchSize;
    /// @notice L1-operation slots per batch (`L`).
    uint8 public immutable l1Slots;
    /// @notice Fee slots per batch (`F`).
    uint8 public immutable feeSlots;
    /// @notice Bytes of an account index in calldata: ceil(2·D / 8).
    uint256 public immutable idxBytes;
    /// @notice Bytes of one L2 transaction in calldata: 2·idxBytes + 6.
    uint256 public immutable txBytes;
    /// @notice Transactions per data coefficient: floor(31 / txBytes) (docs/PROTOCOL.md, "Batch").
    uint256 public immutable txsPerCoefficient;
    /// @notice Data coefficients of a batch: 5 + L + ceil(N / txsPerCoefficient).
    uint256 public immutable coefficientCount;
    /// @dev The `to` fields of the transactions in a transaction coefficient (a group of
    ///      txsPerCoefficient), their lowest and their highest bits: to find groups with an exit.
    uint256 private immutable groupToMask;
    uint256 private immutable groupToLow;
    uint256 private immutable groupToHigh;
    /// @dev The account tree's shape (lib/tree.ts treeLevels): floor(2·depth/3) 8-ary levels, then
    ///      a 4-ary root level iff 2·depth mod 3 != 0.
    uint256 private immutable treeLevels8;
    bool private immutable treeHasTop;
    /// @notice Seconds the oldest unprocessed L1 operation must have waited before anyone may
    ///         activate escape mode (one condition of two: see escapeAllowedAfter).
    uint256 public immutable escapeDelay;
    /// @notice Seconds without an accepted batch before anyone may activate escape mode (the other
    ///         condition; <= escapeDelay): a sequencer that keeps submitting batches, each consuming
    ///         the queue at full capacity, never reaches it, however many operations are queued.
    uint256 public immutable inactivityDelay;
    /// @notice A batch may consume fewer L1 operations than it could (min(pending, l1Slots)) only if
    ///         the first one it leaves out was queued less than l1Grace seconds ago (< escapeDelay):
    ///         so the sequencer cannot skip the queue, and an operation queued while its batch was
    ///         being proven does not make the batch fail.
    uint256 public immutable l1Grace;
    /// @notice Wei every L1 operation pays with it (msg.value), credited to whoever submits the batch
    ///         that consumes it (< 2^128): the processing is paid for, and flooding the queue costs.
    uint256 public immutable l1OpFee;
    /// @notice Smallest ETH deposit in wei (>= 1); ERC-20 minimums are set at registerToken.
    uint256 public immutable minDeposit;
    /// @notice Root of the empty account tree, the state before the first batch.
    uint256 public immutable genesisRoot;

    /// @notice A queued L1 operation (2 storage slots).
    struct L1Op {
        uint8 kind;
        uint32 accountIdx;
        uint32 tokenId;
        uint128 amount;
        /// block.timestamp when it was queued
        uint56 queuedAt;
        /// the address that queued it: depositor, or forced-exit requester
        address owner;
        /// refunded in escape mode (its deposit and its fee)
        bool refunded;
    }

    /// @notice Constructor parameters besides the contracts (see the constructor).
    struct Config {
        address sequencer;
        uint8 depth;
        uint16 batchSize;
        uint8 l1Slots;
        uint8 feeSlots;
        uint256 escapeDelay;
        uint256 inactivityDelay;
        uint256 l1Grace;
        uint256 l1OpFee;
        uint256 minDeposit;
        bytes32 verifyingKeyHash;
    }

    /// @notice One batch of submitBatches: the arguments of submitBatch but the proof.
    struct BatchData {
        uint256 newRoot;
        uint8 l1Count;
        bytes l1Results;
        bytes feeIdx;
        bytes txData;
        uint256 commitment;
    }

    /// @notice The L1 owner and token of an account, recorded when its CREATE was queued.
    struct AccountRecord {
        address owner;
        uint32 tokenId;
    }

    /// @notice Current root of the account tree.
    uint256 public stateRoot;
    // One slot, read and written by every batch.
    /// @notice The only address allowed to submit batches.
    address public sequencer;
    /// @notice Number of accepted batches; the first batch submitted is number 1.
    uint32 public batchNumber;
    /// @notice Number of L1 operations the batches have consumed.
    uint64 public l1Processed;
    // One slot, read and written by every L1 operation, read by every batch (which writes lastBatchAt).
    /// @notice Number of L1 operations ever queued.
    uint64 public l1OpCount;
    /// @notice Number of accounts created (queued CREATE operations); the last index assigned.
    uint32 public accountCount;
    /// @notice Number of token ids assigned; id 0 is ETH, ERC-20 tokens get 1, 2, ...
    uint32 public tokenCount;
    /// @notice Set once, by `activateEscape`: no batches or L1 operations any more.
    bool public escapeMode;
    /// @notice block.timestamp of the last accepted batch (0 before the first).
    uint56 public lastBatchAt;

    /// @notice Queued L1 operations by 0-based queue index.
    mapping(uint256 => L1Op) public l1Ops;
    /// @notice h_n: the queue hash after the first n operations (h_0 = 0).
    mapping(uint256 => uint256) public l1ChainHash;
    /// @notice Account index => its L1 owner and token.
    mapping(uint256 => AccountRecord) public accounts;
    /// @notice Token id => ERC-20 contract (0 for ETH, id 0).
    mapping(uint32 => address) public tokenAddress;
    /// @notice Token id => smallest deposit of the ERC-20 in base units (set at registerToken; ETH's
    ///         is minDeposit, see minDepositOf).
    mapping(uint32 => uint256) public tokenMinDeposit;
    /// @notice ERC-20 contract => token id (0 if not registered).
    mapping(address => uint32) public tokenIdOf;
    /// @notice Pending withdrawals: owner => token id => amount.
    mapping(address => mapping(uint32 => uint256)) public claimable;
    /// @notice Accounts whose balance was withdrawn in escape mode.
    mapping(uint256 => bool) public escapeWithdrawn;
    bool private transient locked;

    /// @notice Batch `batchNumber` moved the root from `oldRoot` to `newRoot`, consuming `l1Count`
    ///         L1 operations; its calldata (submitBatch, or the batch's entry in submitBatches, whose
    ///         batches emit this event in order) holds `txCount` posted transactions.
    event BatchSubmitted(uint256 indexed batchNumber, uint256 oldRoot, uint256 newRoot, uint256 l1Count, uint256 txCount);
    /// @notice The sequencer role moved from `previous` to `current`.
    event SequencerChanged(address indexed previous, address indexed current);
    /// @notice ERC-20 `token` was registered as `tokenId`; deposits of it are at least `minDeposit`.
    event TokenRegistered(uint32 indexed tokenId, address indexed token, uint256 minDeposit);
    /// @notice An L1 operation was queued at `queueIndex` (0-based); `chainHash` is the queue hash
    ///         after it. With these fields an indexer rebuilds the queue and the L2 state.
    event L1OpQueued(
        uint256 indexed queueIndex,
        uint8 kind,
        uint32 accountIdx,
        address owner,
        uint32 tokenId,
        uint128 amount,
        uint256 ax,
        uint256 ay,
        uint256 chainHash
    );
    /// @notice `amount` of `tokenId` became withdrawable by `owner` (L1 result, exit, L1-operation
    ///         fees of a batch, escape, refund).
    event Credited(address indexed owner, uint32 indexed tokenId, uint256 amount);
    /// @notice `owner` withdrew `amount` of `tokenId`.
    event Withdrawn(address indexed owner, uint32 indexed tokenId, uint256 amount);
    /// @notice Escape mode is on; `stateRoot` is final, after `l1Processed` L1 operations.
    event EscapeActivated(uint256 stateRoot, uint256 l1Processed);
    /// @notice In escape mode, account `accountIdx`'s balance was credited to its owner.
    event EscapeWithdrawal(uint256 indexed accountIdx, address indexed owner, uint32 tokenId, uint256 balance);
    /// @notice In escape mode, the unprocessed L1 operation at `queueIndex` was credited back to its
    ///         owner: `amount` of `tokenId` (its deposit; 0 for a forced exit) and `fee` wei.
    event L1OpRefunded(uint256 indexed queueIndex, address indexed owner, uint32 tokenId, uint256 amount, uint256 fee);

    error NotSequencer();
    error NotAdmin();
    /// @notice An address that must be set is zero.
    error ZeroAddress();
    /// @notice An address that must hold a contract holds no code.
    error NotContract(address account);
    /// @notice Parameters out of range (1 <= depth <= 16; batchSize, l1Slots, feeSlots >= 1;
    ///         1 <= escapeDelay < 2^64; 1 <= inactivityDelay <= escapeDelay; l1Grace < escapeDelay;
    ///         l1OpFee < 2^128; 1 <= minDeposit < 2^128).
    error InvalidParameters();
    /// @notice The verifier's verifyingKeyHash() is not the one the deployer named (`actual` 0 if
    ///         the verifier has no such function): a verifier for another key.
    error VerifyingKeyMismatch(bytes32 expected, bytes32 actual);
    /// @notice msg.value does not pay the L1-operation fee: an ERC-20 deposit or a forced exit must
    ///         send exactly l1OpFee, an ETH deposit at least l1OpFee (the deposit is the rest).
    error WrongFee(uint256 value, uint256 fee);
    /// @notice A deposit below the token's minimum (minDepositOf).
    error DepositTooSmall(uint256 amount, uint256 minimum);
    /// @notice A token's minimum deposit must be 1 ..< 2^128.
    error BadMinDeposit(uint256 minDeposit);
    /// @notice A root or public-key coordinate is not a field element (>= r).
    error NotInField(uint256 value);
    /// @notice `feeIdx` is not exactly feeSlots·idxBytes bytes.
    error BadFeeDataLength(uint256 length, uint256 expected);
    /// @notice `txData` is not a whole number of transactions, or holds more than batchSize.
    error BadTxDataLength(uint256 length, uint256 max);
    /// @notice The last posted transaction is padding (from = 0): padding slots are never posted,
    ///         so a batch has exactly one encoding (docs/PROTOCOL.md, "One encoding per batch").
    error TrailingPadding(uint256 txIndex);
    /// @notice `l1Results` is not 16·l1Count bytes.
    error BadL1ResultsLength(uint256 length, uint256 expected);
    /// @notice A batch consumes more L1 operations than it has slots for or than are queued.
    error TooManyL1Ops(uint256 l1Count, uint256 max);
    /// @notice A batch leaves out the L1 operation `queueIndex`, queued at `queuedAt`, although it
    ///         has a free slot for it and the operation is l1Grace seconds old or older: it must
    ///         consume min(pending, l1Slots) operations. A sequencer rebuilds such a batch with the
    ///         operations it missed.
    error L1OpSkipped(uint256 queueIndex, uint256 queuedAt);
    error InvalidProof();
    /// @notice submitBatches got no batches, or not one proof per batch.
    error BadBatchCount(uint256 batches, uint256 proofs);
    /// @notice Escape mode is active: batches and L1 operations are over.
    error EscapeMode();
    error NotInEscapeMode();
    /// @notice No L1 operation is waiting, so the deadline cannot have passed.
    error NoPendingL1Op();
    /// @notice The oldest unprocessed L1 operation has not waited escapeDelay yet, or the last batch
    ///         is less than inactivityDelay old.
    error EscapeTooEarly(uint256 allowedAfter);
    error TokenNotRegistered(uint32 tokenId);
    error TokenAlreadyRegistered(address token, uint32 tokenId);
    /// @notice A deposit of 2^128 or more.
    error BadAmount(uint256 amount);
    /// @notice `accountIdx` is not an account created so far.
    error UnknownAccount(uint256 accountIdx);
    /// @notice All 4^D - 1 account indexes are taken.
    error TreeFull();
    error NothingToWithdraw(uint32 tokenId);
    error TransferFailed(address token);
    error Reentrancy();
    error NotAccountOwner();
    error AlreadyWithdrawn(uint256 accountIdx);
    error BadProofLength(uint256 length, uint256 expected);
    error InvalidMerkleProof();
    /// @notice The queue entry is not an unprocessed L1 operation with something to refund (a
    ///         forced exit has only its fee), or was refunded already.
    error NotRefundable(uint256 queueIndex);

    modifier onlySequencer() {
        if (msg.sender != sequencer) revert NotSequencer();
        _;
    }

    modifier notEscaped() {
        if (escapeMode) revert EscapeMode();
        _;
    }

    modifier nonReentrant() {
        if (locked) revert Reentrancy();
        locked = true;
        _;
        locked = false;
    }

    /// @param verifier_ Groth16 verifier of the circuit instance (c.depth, c.batchSize, c.l1Slots,
    ///        c.feeSlots), for single and aggregated proofs; its verifyingKeyHash() must be
    ///        c.verifyingKeyHash.
    /// @param poseidon3_ circomlibjs Poseidon over 3 inputs (account leaves).
    /// @param poseidon4_ circomlibjs Poseidon over 4 inputs (the tree's 4-ary root level).
    /// @param poseidon5_ circomlibjs Poseidon over 5 inputs (queue hash chain).
    /// @param poseidon8_ circomlibjs Poseidon over 8 inputs (the tree's 8-ary levels).
    /// @param c sequencer: address allowed to submit batches. depth: the account tree holds 4^depth
    ///        accounts, 1..16 (floor(2·depth/3) 8-ary levels and, if 2·depth mod 3 != 0, a 4-ary
    ///        root level). batchSize, l1Slots, feeSlots: transaction, L1-operation and fee slots per
    ///        batch, each >= 1 (accounts exist only through L1 operations). escapeDelay (1 ..< 2^64),
    ///        inactivityDelay (1 ..= escapeDelay): seconds, see escapeAllowedAfter. l1Grace
    ///        (< escapeDelay): seconds, see _checkBatch. l1OpFee (< 2^128): wei per L1 operation.
    ///        minDeposit (1 ..< 2^128): smallest ETH deposit in wei. verifyingKeyHash: the hash of the
    ///        verification key the deployer means (lib/aggregate.ts verifyingKeyHash of its JSON).
    constructor(
        IVerifier verifier_,
        IPoseidon3 poseidon3_,
        IPoseidon4 poseidon4_,
        IPoseidon5 poseidon5_,
        IPoseidon8 poseidon8_,
        Config memory c
    ) {
        if (c.sequencer == address(0)) revert ZeroAddress();
        address[5] memory code =
            [address(verifier_), address(poseidon3_), address(poseidon4_), address(poseidon5_), address(poseidon8_)];
        for (uint256 i = 0; i < 5; i++) {
            if (code[i] == address(0)) revert ZeroAddress();
            if (code[i].code.length == 0) revert NotContract(code[i]);
        }
        if (c.depth == 0 || c.depth > 16 || c.batchSize == 0 || c.l1Slots == 0 || c.feeSlots == 0) revert InvalidParameters();
        if (c.escapeDelay == 0 || c.escapeDelay > type(uint64).max) revert InvalidParameters();
        if (c.inactivityDelay == 0 || c.inactivityDelay > c.escapeDelay || c.l1Grace >= c.escapeDelay) revert InvalidParameters();
        if (c.l1OpFee >= AMOUNT_LIMIT || c.minDeposit == 0 || c.minDeposit >= AMOUNT_LIMIT) revert InvalidParameters();
        // A low-level call: a contract without the function (reverting, or returning nothing) is a
        // mismatch with hash 0, never an undecodable return.
        bytes32 keyHash;
        (bool ok, bytes memory ret) = address(verifier_).staticcall(abi.encodeCall(IVerifier.verifyingKeyHash, ()));
        if (ok && ret.length == 32) keyHash = abi.decode(ret, (bytes32));
        if (keyHash != c.verifyingKeyHash || keyHash == bytes32(0)) revert VerifyingKeyMismatch(c.verifyingKeyHash, keyHash);

        verifier = verifier_;
        verifyingKeyHash = keyHash;
        poseidon3 = poseidon3_;
        poseidon4 = poseidon4_;
        poseidon5 = poseidon5_;
        poseidon8 = poseidon8_;
        admin = msg.sender;
        depth = c.depth;
        batchSize = c.batchSize;
        l1Slots = c.l1Slots;
        feeSlots = c.feeSlots;
        uint256 ib = (2 * uint256(c.depth) + 7) / 8;
        idxBytes = ib;
        txBytes = 2 * ib + 6;
        // l1Count ‖ feeIdx must fit one 31-byte coefficient.
        if (1 + uint256(c.feeSlots) * ib > 31) revert InvalidParameters();
        uint256 perCoefficient = 31 / (2 * ib + 6);
        txsPerCoefficient = perCoefficient;
        coefficientCount = 5 + uint256(c.l1Slots) + (uint256(c.batchSize) + perCoefficient - 1) / perCoefficient;
        {
            // A transaction is from ‖ to ‖ amount (5 bytes) ‖ fee (1 byte): `to` sits at bits
            // [48, 48 + 8·idxBytes) of its word.
            uint256 toBits = 8 * ib;
            (uint256 mask, uint256 low, uint256 high) = (0, 0, 0);
            for (uint256 k = 0; k < perCoefficient; k++) {
                uint256 at = 48 + k * 8 * (2 * ib + 6);
                mask |= ((1 << toBits) - 1) << at;
                low |= 1 << at;
                high |= 1 << (at + toBits - 1);
            }
            (groupToMask, groupToLow, groupToHigh) = (mask, low, high);
        }
        escapeDelay = c.escapeDelay;
        inactivityDelay = c.inactivityDelay;
        l1Grace = c.l1Grace;
        l1OpFee = c.l1OpFee;
        minDeposit = c.minDeposit;

        // zero[0] = 0, zero[l+1] = Poseidon(zero[l] x arity); the genesis state is the empty tree.
        uint256 levels8 = (2 * uint256(c.depth)) / 3;
        bool hasTop = (2 * uint256(c.depth)) % 3 != 0;
        (treeLevels8, treeHasTop) = (levels8, hasTop);
        uint256 zero = 0;
        for (uint256 l = 0; l < levels8; l++) {
            zero = poseidon8_.poseidon([zero, zero, zero, zero, zero, zero, zero, zero]);
        }
        if (hasTop) zero = poseidon4_.poseidon([zero, zero, zero, zero]);
        genesisRoot = zero;
        stateRoot = zero;

        sequencer = c.sequencer;
        tokenCount = 1;
        emit SequencerChanged(address(0), c.sequencer);
    }

    // ---------------------------------------------------------------------------------------
    // Tokens

    /// @notice Registers an ERC-20 token under the next token id; only the admin may. Deposits of it
    ///         must be at least `minDeposit_` base units (1 ..< 2^128), so dust accounts cost real
    ///         value (the tree has 4^depth - 1 slots) on top of the L1-operation fee.
    /// @return tokenId the id L2 accounts and L1 operations use for the token.
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

    /// @notice The smallest deposit of token `tokenId` (minDeposit for ETH, id 0); 0 if the token
    ///         is not registered.
    function minDepositOf(uint32 tokenId) public view returns (uint256) {
        return tokenId == 0 ? minDeposit : tokenMinDeposit[tokenId];
    }

    // ---------------------------------------------------------------------------------------
    // L1 operations
    //
    // Every L1 operation pays l1OpFee in msg.value (an ETH deposit: the deposit plus the fee). The
    // fee is held until a batch consumes the operation, then credited (token 0) to the address that
    // submitted that batch; in escape mode an unprocessed operation's fee is refunded with it.

    /// @notice Deposits msg.value - l1OpFee wei into a new ETH account owned by msg.sender with L2
    ///         key (ax, ay).
    /// @return accountIdx the index the account will have.
    function depositETH(uint256 ax, uint256 ay) external payable notEscaped returns (uint32 accountIdx) {
        uint128 amount = _ethDeposit();
        accountIdx = _createAccount(0, ax, ay);
        _queue(CREATE, accountIdx, 0, amount, ax, ay);
    }

    /// @notice Deposits msg.value - l1OpFee wei into the existing (or already queued) account
    ///         `accountIdx`. If that account does not hold ETH the batch refunds the deposit as a
    ///         withdrawal (the fee pays for that processing).
    function depositETHTo(uint32 accountIdx) external payable notEscaped {
        uint128 amount = _ethDeposit();
        _checkAccount(accountIdx);
        _queue(DEPOSIT, accountIdx, 0, amount, 0, 0);
    }

    /// @notice Deposits `amount` of the registered ERC-20 `tokenId` (approved to this contract) into
    ///         a new account owned by msg.sender with L2 key (ax, ay); msg.value must be l1OpFee.
    ///         The account is credited what the contract's balance actually grew by.
    /// @return accountIdx the index the account will have.
    function depositERC20(uint32 tokenId, uint256 amount, uint256 ax, uint256 ay)
        external
        payable
        notEscaped
        nonReentrant
        returns (uint32 accountIdx)
    {
        _checkFee();
        uint128 received = _pullToken(tokenId, amount);
        accountIdx = _createAccount(tokenId, ax, ay);
        _queue(CREATE, accountIdx, tokenId, received, ax, ay);
    }

    /// @notice Deposits `amount` of the registered ERC-20 `tokenId` into the existing (or already
    ///         queued) account `accountIdx`; msg.value must be l1OpFee. Refunded as a withdrawal if
    ///         the account holds another token.
    function depositERC20To(uint32 accountIdx, uint32 tokenId, uint256 amount) external payable notEscaped nonReentrant {
        _checkFee();
        _checkAccount(accountIdx);
        uint128 received = _pullToken(tokenId, amount);
        _queue(DEPOSIT, accountIdx, tokenId, received, 0, 0);
    }

    /// @notice Requests that account `accountIdx`'s whole balance be paid out to its L1 owner;
    ///         only that owner may (the batch that consumes it always applies it); msg.value must
    ///         be l1OpFee.
    function forceExit(uint32 accountIdx) external payable notEscaped {
        _checkFee();
        _checkAccount(accountIdx);
        if (accounts[accountIdx].owner != msg.sender) revert NotAccountOwner();
        _queue(FORCE_EXIT, accountIdx, accounts[accountIdx].tokenId, 0, 0, 0);
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

    function _checkAccount(uint32 accountIdx) private view {
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
        _callToken(token, abi.encodeCall(IERC20.transferFrom, (msg.sender, address(this), amount)));
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
    // Batches

    /// @notice Applies the next batch: moves the root to `newRoot` if `proof` proves the transition,
    ///         consumes the `l1Count` oldest unprocessed L1 operations and credits their results and
    ///         the batch's exits as withdrawals, and their fees (l1OpFee each) to msg.sender.
    /// @dev One encoding per batch. The public signals are a function of the calldata (through the
    ///      coefficients c, docs/PROTOCOL.md "Batch"); for every field the contract accepts exactly
    ///      one value per coefficient, so two accepted calldatas with the same public inputs are the
    ///      same batch: newRoot and commitment are checked < r (no x + r alias); l1Count is a uint8
    ///      (the ABI decoder rejects a dirty word), <= min(pending, l1Slots), and fixes l1HashEnd,
    ///      the length of l1Results and the top byte of c[4]; l1Results is exactly 16·l1Count bytes,
    ///      one uint128 per coefficient c[5+j] (unused slots are 0 and not posted); feeIdx is exactly
    ///      feeSlots·idxBytes bytes, the low bytes of c[4] (a fixed-length big-endian integer:
    ///      injective); txData is a whole number of transactions, at most batchSize, and its last
    ///      one is not padding (TrailingPadding), so trailing zero transactions, which would leave
    ///      every coefficient unchanged, cannot be posted (the circuit puts padding only after the
    ///      last real transaction, so no padding precedes a real one either). The proof is not part
    ///      of the batch data (Groth16 proofs can be re-randomised; readers never use it to rebuild).
    /// @param newRoot root of the account tree after the batch (< r).
    /// @param l1Count L1 operations the batch consumes: <= min(pending, l1Slots), and equal to it
    ///        unless the first operation left out was queued less than l1Grace seconds ago.
    /// @param l1Results one big-endian uint128 per consumed operation (16·l1Count bytes): the
    ///        refund or forced-exit amount credited to the operation's owner.
    /// @param feeIdx the batch's feeSlots fee account indexes, idxBytes each, big-endian.
    /// @param txData the posted transactions, txBytes each (at most batchSize), the last one with
    ///        from != 0; the remaining slots up to batchSize are padding (zero bytes), never posted.
    /// @param commitment Poseidon commitment to the batch data (< r; docs/PROTOCOL.md, "Batch"):
    ///        not checked here, but a proof exists only for the true one.
    /// @param proof Groth16 proof [a0, a1, b00, b01, b10, b11, c0, c1] in the verifier's argument
    ///        order (the order snarkjs `exportSolidityCallData` prints, B's coordinates swapped).
    function submitBatch(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment,
        uint256[8] calldata proof
    ) external onlySequencer notEscaped {
        (uint256[2] memory signals, bool maybeExits) = _publicInputs(newRoot, l1Count, l1Results, feeIdx, txData, commitment);
        if (!verifier.verifyProof(proof, signals)) revert InvalidProof();
        _applyBatch(newRoot, l1Count, l1Results, txData, maybeExits);
    }

    /// @notice Applies `batches` in order exactly as that many submitBatch calls would (same
    ///         checks, public inputs, state changes, credits and events) but checks all their proofs
    ///         with one aggregated pairing check (verifyProofs),
    ///         which costs far less per batch than one verifyProof each. All or nothing: reverts if
    ///         any batch is malformed or any proof is invalid.
    /// @param batches at least one batch, in the order they apply; each as in submitBatch.
    /// @param proofs proofs[i] is the proof of batches[i], as in submitBatch.
    function submitBatches(BatchData[] calldata batches, uint256[8][] calldata proofs) external onlySequencer notEscaped {
        uint256 k = batches.length;
        if (k == 0 || proofs.length != k) revert BadBatchCount(k, proofs.length);
        uint256[2][] memory signals = new uint256[2][](k);
        for (uint256 i = 0; i < k; i++) {
            BatchData calldata b = batches[i];
            // Each batch's public inputs start from the state the batches before it left.
            bool maybeExits;
            (signals[i], maybeExits) = _publicInputs(b.newRoot, b.l1Count, b.l1Results, b.feeIdx, b.txData, b.commitment);
            _applyBatch(b.newRoot, b.l1Count, b.l1Results, b.txData, maybeExits);
        }
        if (!verifier.verifyProofs(proofs, signals)) revert InvalidProof();
    }

    /// @dev The effects of an accepted batch whose data the proof has checked: the new root, queue
    ///      position and time of the last batch, the L1 results and exits credited, the event, and
    ///      the consumed operations' fees credited to the submitter.
    function _applyBatch(uint256 newRoot, uint8 l1Count, bytes calldata l1Results, bytes calldata txData, bool maybeExits) private {
        uint256 processed = l1Processed;
        uint256 oldRoot = stateRoot;
        uint32 number = batchNumber + 1;
        stateRoot = newRoot;
        batchNumber = number;
        l1Processed = uint64(processed + l1Count);
        lastBatchAt = uint56(block.timestamp);

        for (uint256 j = 0; j < l1Count; j++) {
            uint256 result = uint128(bytes16(l1Results[16 * j:16 * j + 16]));
            if (result != 0) {
                L1Op storage op = l1Ops[processed + j];
                _credit(op.owner, op.tokenId, result);
            }
        }
        if (maybeExits) _creditExits(txData);
        emit BatchSubmitted(number, oldRoot, newRoot, l1Count, txData.length / txBytes);
        uint256 fees = uint256(l1Count) * l1OpFee;
        if (fees != 0) _credit(msg.sender, 0, fees);
    }

    /// @notice Hands the sequencer role to `newSequencer`; only the current sequencer may.
    function setSequencer(address newSequencer) external onlySequencer {
        if (newSequencer == address(0)) revert ZeroAddress();
        sequencer = newSequencer;
        emit SequencerChanged(msg.sender, newSequencer);
    }

    /// @notice The public signals a proof of the next batch (from the current stateRoot and queue
    ///         position) must have, for the given batch data and commitment. Reverts on malformed
    ///         data exactly as submitBatch does.
    /// @return signals [y, z]: z = keccak256(c[0] ‖ … ‖ c[m−1] ‖ commitment) mod r and
    ///         y = Σ c[i]·z^i + commitment·z^m mod r over the data coefficients c (_coefficients).
    function publicInputs(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment
    ) public view returns (uint256[2] memory signals) {
        (signals,) = _publicInputs(newRoot, l1Count, l1Results, feeIdx, txData, commitment);
    }

    /// @dev publicInputs, and whether txData may hold an exit (false only if it certainly holds none).
    function _publicInputs(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment
    ) private view returns (uint256[2] memory signals, bool maybeExits) {
        uint256 l1HashEnd = _checkBatch(newRoot, l1Count, l1Results, feeIdx, txData);
        if (commitment >= SNARK_FIELD) revert NotInField(commitment);
        uint256[] memory c;
        (c, maybeExits) = _coefficients(newRoot, l1HashEnd, l1Count, l1Results, feeIdx, txData, commitment);
        uint256 m = c.length;
        uint256 z;
        uint256 y;
        assembly ("memory-safe") {
            let data := add(c, 32)
            z := mod(keccak256(data, mul(m, 32)), SNARK_FIELD)
            // Horner from the commitment (the last word) down to c[0].
            for { let i := m } gt(i, 0) {} {
                i := sub(i, 1)
                y := addmod(mulmod(y, z, SNARK_FIELD), mload(add(data, mul(i, 32))), SNARK_FIELD)
            }
        }
        signals[0] = y;
        signals[1] = z;
    }

    /// @dev Rejects batch data whose shape does not match the instance parameters and the queue, a
    ///      batch that skips an L1 operation l1Grace seconds old (it must consume min(pending,
    ///      l1Slots); O(1): the first operation left out is the oldest one skipped), and posted
    ///      padding (O(1): the last posted transaction has from != 0; with the circuit's rule that
    ///      padding slots come after every real one, no posted transaction is padding). Returns
    ///      l1HashEnd, the queue hash after the operations the batch consumes.
    function _checkBatch(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData
    ) private view returns (uint256 l1HashEnd) {
        if (newRoot >= SNARK_FIELD) revert NotInField(newRoot);
        uint256 processed = l1Processed;
        uint256 pending = l1OpCount - processed;
        uint256 maxL1 = pending < l1Slots ? pending : l1Slots;
        if (l1Count > maxL1) revert TooManyL1Ops(l1Count, maxL1);
        if (l1Count < maxL1) {
            uint256 skipped = processed + l1Count;
            uint256 queuedAt = l1Ops[skipped].queuedAt;
            if (block.timestamp - queuedAt >= l1Grace) revert L1OpSkipped(skipped, queuedAt);
        }
        if (l1Results.length != 16 * uint256(l1Count)) revert BadL1ResultsLength(l1Results.length, 16 * uint256(l1Count));
        uint256 feeLength = uint256(feeSlots) * idxBytes;
        if (feeIdx.length != feeLength) revert BadFeeDataLength(feeIdx.length, feeLength);
        uint256 maxTxLength = uint256(batchSize) * txBytes;
        uint256 tb = txBytes;
        if (txData.length > maxTxLength || txData.length % tb != 0) {
            revert BadTxDataLength(txData.length, maxTxLength);
        }
        if (txData.length != 0) {
            uint256 lastFrom;
            uint256 fromShift = 256 - 8 * idxBytes;
            assembly ("memory-safe") {
                lastFrom := shr(fromShift, calldataload(sub(add(txData.offset, txData.length), tb)))
            }
            if (lastFrom == 0) revert TrailingPadding(txData.length / tb - 1);
        }
        return l1ChainHash[processed + l1Count];
    }

    /// @dev The data coefficients of docs/PROTOCOL.md "Batch" followed by the commitment: oldRoot,
    ///      newRoot, chainId·2^160 + this, l1HashEnd, l1Count ‖ feeIdx, one uint128 result per L1
    ///      slot, then the transactions in groups of txsPerCoefficient, each group's bytes a
    ///      big-endian integer (zero bytes past the posted ones). `new uint256[]` is zeroed, so
    ///      unused L1 slots and padding are already in place. Expects checked data.
    function _coefficients(
        uint256 newRoot,
        uint256 l1HashEnd,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment
    ) private view returns (uint256[] memory c, bool maybeExits) {
        uint256 m = coefficientCount;
        c = new uint256[](m + 1);
        c[0] = stateRoot;
        c[1] = newRoot;
        c[2] = (block.chainid << 160) | uint256(uint160(address(this)));
        c[3] = l1HashEnd;
        uint256 feeBits = 8 * feeIdx.length; // <= 240 (constructor)
        uint256 l1Words = l1Slots;
        uint256 txOut;
        assembly ("memory-safe") {
            let data := add(c, 32)
            txOut := add(data, mul(add(5, l1Words), 32))
            // feeIdx.length >= 1 (feeSlots >= 1), so the shift is < 256.
            mstore(add(data, 128), or(shl(feeBits, l1Count), shr(sub(256, feeBits), calldataload(feeIdx.offset))))
            for { let j := 0 } lt(j, l1Count) { j := add(j, 1) } {
                mstore(add(data, mul(add(5, j), 32)), shr(128, calldataload(add(l1Results.offset, mul(j, 16)))))
            }
        }
        maybeExits = _txCoefficients(txData, txsPerCoefficient * txBytes, txOut);
        c[m] = commitment;
    }

    /// @dev Writes the transaction coefficients from `out` on: group t is the bytes
    ///      [t·groupBytes, (t+1)·groupBytes) of txData as a big-endian integer, bytes past its end
    ///      zero (calldataload reads whatever follows txData in the calldata, so the last, partial
    ///      group is masked). Returns false only if no transaction is an exit: a full group has
    ///      one iff one of its `to` fields is 0, which x = word & mask shows as a set high bit of
    ///      (x - low) & ~x & high (a zero field borrows through its high bit; a non-zero one
    ///      cannot set it; a borrow into a higher field only matters once a zero field exists); a
    ///      partial last group counts as maybe. This loop is the marginal L1 execution cost of a
    ///      transfer (~20 gas): unrolled by four groups.
    function _txCoefficients(bytes calldata txData, uint256 groupBytes, uint256 out) private view returns (bool maybeExits) {
        uint256 mask = groupToMask;
        uint256 low = groupToLow;
        uint256 high = groupToHigh;
        assembly ("memory-safe") {
            // Bits of `high` set where a group's `to` field is zero.
            function zeroTo(w, mask_, low_, high_) -> z {
                let x := and(w, mask_)
                z := and(and(sub(x, low_), not(x)), high_)
            }
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

    /// @dev Credits every exit (to = 0) in `txData` to the L1 owner and token of its sender.
    ///      A transaction is from ‖ to ‖ amount float40 ‖ fee float8, big-endian: calldataload at
    ///      its offset puts it in the top txBytes bytes of a word. This scan is the only per-transfer
    ///      execution cost of a batch, so it tests 4 transactions per branch (a few dozen gas per
    ///      transaction) and re-reads a group one by one only if one of them may be an exit. Words
    ///      read past the end of txData (zero padding, or whatever a non-canonical ABI encoding put
    ///      there) only decide whether the slow path runs, which reads posted transactions alone.
    function _creditExits(bytes calldata txData) private {
        uint256 step = txBytes;
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
                    if (word & toMask == 0) _creditExit(word);
                }
            }
        }
    }

    /// @dev Credits the exit `word` holds (top txBytes bytes) to its sender account's owner and token.
    function _creditExit(uint256 word) private {
        uint256 ib8 = 8 * idxBytes;
        uint256 packed = (word >> (256 - 2 * ib8 - 40)) & 0xFFFFFFFFFF;
        // float40: m = low 35 bits, e = high 5 bits; m·10^e < 2^35·10^31 cannot overflow.
        uint256 amount = (packed & 0x7FFFFFFFF) * 10 ** (packed >> 35);
        if (amount == 0) return;
        AccountRecord storage account = accounts[word >> (256 - ib8)];
        _credit(account.owner, account.tokenId, amount);
    }

    // ---------------------------------------------------------------------------------------
    // Withdrawals

    /// @notice Pays msg.sender everything credited to it in token `tokenId` (ETH for 0).
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
            _callToken(token, abi.encodeCall(IERC20.transfer, (msg.sender, amount)));
        }
    }

    function _credit(address owner, uint32 tokenId, uint256 amount) private {
        claimable[owner][tokenId] += amount;
        emit Credited(owner, tokenId, amount);
    }

    /// @dev Calls an ERC-20 that moves tokens: must not revert and must return true or nothing.
    function _callToken(address token, bytes memory data) private {
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok || (ret.length != 0 && (ret.length != 32 || abi.decode(ret, (uint256)) != 1))) {
            revert TransferFailed(token);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Escape hatch

    /// @notice When escape mode may be activated (activation needs a later block timestamp): both
    ///         the oldest unprocessed L1 operation has waited escapeDelay, and no batch has been
    ///         accepted for inactivityDelay, i.e. max(queuedAt + escapeDelay, lastBatchAt +
    ///         inactivityDelay); max uint if no operation waits. A sequencer that keeps submitting
    ///         batches (each consuming the queue at full capacity, _checkBatch) never lets it pass,
    ///         whatever the queue's length; one that stops, or is censored off L1, does.
    function escapeAllowedAfter() public view returns (uint256) {
        uint256 processed = l1Processed;
        if (processed == l1OpCount) return type(uint256).max;
        uint256 waited = uint256(l1Ops[processed].queuedAt) + escapeDelay;
        uint256 idle = uint256(lastBatchAt) + inactivityDelay;
        return waited > idle ? waited : idle;
    }

    /// @notice Switches the rollup into escape mode, for good. Anyone may, once escapeAllowedAfter
    ///         has passed.
    function activateEscape() external notEscaped {
        uint256 allowedAfter = escapeAllowedAfter();
        if (allowedAfter == type(uint256).max) revert NoPendingL1Op();
        if (block.timestamp <= allowedAfter) revert EscapeTooEarly(allowedAfter);
        escapeMode = true;
        emit EscapeActivated(stateRoot, l1Processed);
    }

    /// @notice In escape mode, credits account `accountIdx`'s balance in the last proven root to its
    ///         owner (the caller: the owner the contract recorded at creation), once per account.
    ///         The leaf is Poseidon(ax, ay, tokenId·2^160 + balance·2^32 + nonce) with the
    ///         recorded token; `siblings` holds, level by level from the leaves, the arity − 1
    ///         siblings in child-position order skipping the path node's own position: 7 per
    ///         8-ary level, then 3 for the 4-ary root level if 2·depth mod 3 != 0.
    function escapeWithdraw(uint32 accountIdx, uint256 ax, uint256 ay, uint128 balance, uint32 nonce, uint256[] calldata siblings)
        external
    {
        if (!escapeMode) revert NotInEscapeMode();
        _checkAccount(accountIdx);
        AccountRecord memory account = accounts[accountIdx];
        if (msg.sender != account.owner) revert NotAccountOwner();
        if (escapeWithdrawn[accountIdx]) revert AlreadyWithdrawn(accountIdx);
        (uint256 levels8, bool top) = (treeLevels8, treeHasTop);
        uint256 expected = 7 * levels8 + (top ? 3 : 0);
        if (siblings.length != expected) revert BadProofLength(siblings.length, expected);

        uint256 node = poseidon3.poseidon(
            [ax, ay, (uint256(account.tokenId) << 160) | (uint256(balance) << 32) | uint256(nonce)]
        );
        uint256 index = accountIdx;
        for (uint256 l = 0; l < levels8; l++) {
            uint256[8] memory children;
            uint256 pos = index & 7;
            uint256 k = 7 * l;
            for (uint256 c = 0; c < 8; c++) {
                children[c] = c < pos ? siblings[k + c] : c == pos ? node : siblings[k + c - 1];
            }
            node = poseidon8.poseidon(children);
            index >>= 3;
        }
        if (top) {
            uint256 pos = index & 3;
            uint256 k = 7 * levels8;
            uint256[4] memory children;
            for (uint256 c = 0; c < 4; c++) {
                children[c] = c < pos ? siblings[k + c] : c == pos ? node : siblings[k + c - 1];
            }
            node = poseidon4.poseidon(children);
        }
        if (node != stateRoot) revert InvalidMerkleProof();

        escapeWithdrawn[accountIdx] = true;
        emit EscapeWithdrawal(accountIdx, msg.sender, account.tokenId, balance);
        if (balance != 0) _credit(msg.sender, account.tokenId, balance);
    }

    /// @notice In escape mode, credits the unprocessed L1 operation at `queueIndex` back to the
    ///         address that queued it, once: a deposit's amount (in its token) and every operation's
    ///         fee (in ETH), since no batch processed it. Anyone may call it.
    function refundL1Op(uint256 queueIndex) external {
        if (!escapeMode) revert NotInEscapeMode();
        L1Op storage op = l1Ops[queueIndex];
        uint256 fee = l1OpFee;
        if (
            queueIndex < l1Processed || queueIndex >= l1OpCount || op.refunded || (op.kind == FORCE_EXIT && fee == 0)
        ) revert NotRefundable(queueIndex);
        op.refunded = true;
        uint256 amount = op.kind == FORCE_EXIT ? 0 : op.amount;
        emit L1OpRefunded(queueIndex, op.owner, op.tokenId, amount, fee);
        if (amount != 0) _credit(op.owner, op.tokenId, amount);
        if (fee != 0) _credit(op.owner, 0, fee);
    }
}
