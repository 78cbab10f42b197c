// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPoseidon3, IPoseidon4, IPoseidon5, IPoseidon8} from "./IPoseidon.sol";
import {IVerifier} from "./IVerifier.sol";

/// @title zkr rollup
/// @notice Holds the root of the L2 account tree and advances it one batch at a time, each batch
///         carrying a Groth16 proof of the transition; queues L1 operations (deposits and forced
///         exits, each paying the L1-operation fee) into a Poseidon hash chain the batches consume
///         in order and at full capacity; holds the deposited ETH and ERC-20 tokens and pays out
///         exits as pull withdrawals; and, if the sequencer stops while an L1 operation waits past
///         the deadline, lets owners escape with a Merkle proof of their balance. Normative
///         description: docs/PROTOCOL.md. The implementation is contracts/Rollup.sol.
/// @dev Indexing: L1 operations have 0-based queue indexes; `l1ChainHash[n]` is the chain value
///      h_n after the first n operations (h_0 = 0). Account indexes start at 1.
interface IRollup {
    // ---------------------------------------------------------------------------------------
    // Types

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
        /// the fallback instance (same depth): its transaction, L1-operation and fee slots
        uint16 fallbackBatchSize;
        uint8 fallbackL1Slots;
        uint8 fallbackFeeSlots;
        uint256 escapeDelay;
        uint256 inactivityDelay;
        uint256 l1Grace;
        uint256 l1OpFee;
        uint256 minDeposit;
        bytes32 verifyingKeyHash;
        /// the fallback verifier's key hash, as verifyingKeyHash for the main one
        bytes32 fallbackVerifyingKeyHash;
        /// seconds of sequencer silence, or of an L1 operation's wait, after which anyone may
        /// submit fallback batches (1 ..< escapeDelay)
        uint256 fallbackDelay;
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

    // ---------------------------------------------------------------------------------------
    // Events

    /// @notice Batch `batchNumber` moved the root from `oldRoot` to `newRoot`, consuming `l1Count`
    ///         L1 operations; its calldata (submitBatch, or the batch's entry in submitBatches, whose
    ///         batches emit this event in order) holds `txCount` posted transactions.
    event BatchSubmitted(
        uint256 indexed batchNumber,
        uint256 oldRoot,
        uint256 newRoot,
        uint256 l1Count,
        uint256 txCount
    );
    /// @notice Batch `batchNumber` (its BatchSubmitted event just before) was a fallback batch,
    ///         submitted by `submitter` with a proof of the fallback instance.
    event FallbackBatchSubmitted(uint256 indexed batchNumber, address indexed submitter);
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

    // ---------------------------------------------------------------------------------------
    // Errors

    /// @notice The caller is not the sequencer (submitBatch, submitBatches, setSequencer).
    error NotSequencer();
    /// @notice A fallback batch before fallbackOpenAfter() (max uint: the fallback is not open).
    error FallbackNotOpen(uint256 openAfter);
    /// @notice The caller is not the admin (registerToken).
    error NotAdmin();
    /// @notice An address that must be set is zero.
    error ZeroAddress();
    /// @notice An address that must hold a contract holds no code.
    error NotContract(address account);
    /// @notice Parameters out of range (1 <= depth <= 16; batchSize, l1Slots, feeSlots >= 1, and
    ///         the fallback's too; 1 <= escapeDelay < 2^64; 1 <= inactivityDelay <= escapeDelay;
    ///         l1Grace < escapeDelay; 1 <= fallbackDelay < escapeDelay; l1OpFee < 2^128;
    ///         1 <= minDeposit < 2^128).
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
    ///         consume min(pending, l1Slots) operations, or stop after at least one just before a
    ///         forced transfer (the first L1 operation of a batch alone can be one). A sequencer
    ///         rebuilds such a batch with the operations it missed.
    error L1OpSkipped(uint256 queueIndex, uint256 queuedAt);
    /// @notice The verifier rejected the batch's proof (submitBatch), or one of the batches' proofs
    ///         (submitBatches).
    error InvalidProof();
    /// @notice submitBatches got no batches, or not one proof per batch.
    error BadBatchCount(uint256 batches, uint256 proofs);
    /// @notice Escape mode is active: batches and L1 operations are over.
    error EscapeMode();
    /// @notice Escape mode is not active (escapeWithdraw, refundL1Op).
    error NotInEscapeMode();
    /// @notice No L1 operation is waiting, so the deadline cannot have passed.
    error NoPendingL1Op();
    /// @notice The oldest unprocessed L1 operation has not waited escapeDelay yet, or the last batch
    ///         is less than inactivityDelay old.
    error EscapeTooEarly(uint256 allowedAfter);
    /// @notice No ERC-20 is registered under `tokenId`.
    error TokenNotRegistered(uint32 tokenId);
    /// @notice `token` is registered already, as `tokenId`.
    error TokenAlreadyRegistered(address token, uint32 tokenId);
    /// @notice A deposit of 2^128 or more.
    error BadAmount(uint256 amount);
    /// @notice `accountIdx` is not an account created so far.
    error UnknownAccount(uint256 accountIdx);
    /// @notice All 4^D - 1 account indexes are taken.
    error TreeFull();
    /// @notice Nothing of `tokenId` is credited to the caller.
    error NothingToWithdraw(uint32 tokenId);
    /// @notice A payment or an ERC-20 call failed (`token` 0 for ETH): it reverted, or the token
    ///         returned something other than true or nothing.
    error TransferFailed(address token);
    /// @notice A call re-entered a guarded function (deposits of ERC-20 tokens, withdraw).
    error Reentrancy();
    /// @notice The caller is not the account's recorded L1 owner (forceExit, forceTransfer,
    ///         escapeWithdraw).
    error NotAccountOwner();
    /// @notice A forced transfer to the sending account itself.
    error SelfTransfer(uint256 accountIdx);
    /// @notice A forced transfer to account `to`, which holds token `toToken`, not the sender's `tokenId`.
    error TokenMismatch(uint256 to, uint32 toToken, uint32 tokenId);
    /// @notice The account's balance was withdrawn in escape mode already.
    error AlreadyWithdrawn(uint256 accountIdx);
    /// @notice The Merkle proof has the wrong number of siblings for the tree's depth.
    error BadProofLength(uint256 length, uint256 expected);
    /// @notice The account leaf and siblings do not hash to stateRoot.
    error InvalidMerkleProof();
    /// @notice The queue entry is not an unprocessed L1 operation with something to refund (a
    ///         forced exit has only its fee), or was refunded already.
    error NotRefundable(uint256 queueIndex);

    // ---------------------------------------------------------------------------------------
    // Constants and immutable parameters

    /// @notice BN254 scalar field order `r`: roots, keys and the proof's public signals are below it.
    function SNARK_FIELD() external view returns (uint256);
    /// @notice L1 operation kind: a deposit into a new account (docs/PROTOCOL.md, "L1 operations").
    function CREATE() external view returns (uint8);
    /// @notice L1 operation kind: a deposit into an existing account.
    function DEPOSIT() external view returns (uint8);
    /// @notice L1 operation kind: a forced exit of an account's whole balance.
    function FORCE_EXIT() external view returns (uint8);
    /// @notice L1 operation kind: a forced transfer between two accounts, always the first L1
    ///         operation of its batch.
    function FORCE_TRANSFER() external view returns (uint8);

    /// @notice Verifier of the circuit instance this rollup runs: checks single proofs (submitBatch)
    ///         and k proofs at once (submitBatches) against one verifying key.
    function verifier() external view returns (IVerifier);
    /// @notice The hash of that verifying key (IVerifier.verifyingKeyHash; docs/PROTOCOL.md,
    ///         "Verifying key hash"): the deployer names it, the constructor checks the verifier
    ///         has it, and anyone compares it with the verification key JSON (`zkr status --l1`).
    function verifyingKeyHash() external view returns (bytes32);
    /// @notice Poseidon over 3 inputs: account leaves.
    function poseidon3() external view returns (IPoseidon3);
    /// @notice Poseidon over 4 inputs: the account tree's 4-ary root level.
    function poseidon4() external view returns (IPoseidon4);
    /// @notice Poseidon over 5 inputs: the L1-operation queue hash chain.
    function poseidon5() external view returns (IPoseidon5);
    /// @notice Poseidon over 8 inputs: the account tree's 8-ary levels.
    function poseidon8() external view returns (IPoseidon8);
    /// @notice Registers ERC-20 tokens (the deployer).
    function admin() external view returns (address);
    /// @notice The account tree holds 4^depth accounts (levels: see the constructor).
    function depth() external view returns (uint8);
    /// @notice Transaction slots per batch (`N`).
    function batchSize() external view returns (uint16);
    /// @notice L1-operation slots per batch (`L`).
    function l1Slots() external view returns (uint8);
    /// @notice Fee slots per batch (`F`).
    function feeSlots() external view returns (uint8);
    /// @notice Bytes of an account index in calldata: ceil(2·D / 8).
    function idxBytes() external view returns (uint256);
    /// @notice Bytes of one L2 transaction in calldata: 2·idxBytes + 6.
    function txBytes() external view returns (uint256);
    /// @notice Transactions per data coefficient: floor(31 / txBytes) (docs/PROTOCOL.md, "Batch").
    function txsPerCoefficient() external view returns (uint256);
    /// @notice Data coefficients of a batch: 5 + L + ceil(N / txsPerCoefficient).
    function coefficientCount() external view returns (uint256);
    /// @notice The verifier of the fallback instance (same tree and protocol, few slots: cheap to
    ///         prove), for submitFallbackBatch.
    function fallbackVerifier() external view returns (IVerifier);
    /// @notice keccak256 of the fallback verifier's key constants, checked at deployment.
    function fallbackVerifyingKeyHash() external view returns (bytes32);
    /// @notice The fallback instance's transaction slots (`N`).
    function fallbackBatchSize() external view returns (uint16);
    /// @notice The fallback instance's L1-operation slots (`L`).
    function fallbackL1Slots() external view returns (uint8);
    /// @notice The fallback instance's fee slots (`F`).
    function fallbackFeeSlots() external view returns (uint8);
    /// @notice Data coefficients of a fallback batch: 5 + L + ceil(N / txsPerCoefficient) of the
    ///         fallback instance.
    function fallbackCoefficientCount() external view returns (uint256);
    /// @notice Seconds after which anyone may submit fallback batches: see fallbackOpenAfter.
    function fallbackDelay() external view returns (uint256);
    /// @notice Seconds the oldest unprocessed L1 operation must have waited before anyone may
    ///         activate escape mode (one condition of two: see escapeAllowedAfter).
    function escapeDelay() external view returns (uint256);
    /// @notice Seconds without an accepted batch before anyone may activate escape mode (the other
    ///         condition; <= escapeDelay): a sequencer that keeps submitting batches, each consuming
    ///         the queue at full capacity, never reaches it, however many operations are queued.
    function inactivityDelay() external view returns (uint256);
    /// @notice A batch may consume fewer L1 operations than it could (min(pending, l1Slots)) only if
    ///         the first one it leaves out was queued less than l1Grace seconds ago (< escapeDelay):
    ///         so the sequencer cannot skip the queue, and an operation queued while its batch was
    ///         being proven does not make the batch fail.
    function l1Grace() external view returns (uint256);
    /// @notice Wei every L1 operation pays with it (msg.value), credited to whoever submits the batch
    ///         that consumes it (< 2^128): the processing is paid for, and flooding the queue costs.
    function l1OpFee() external view returns (uint256);
    /// @notice Smallest ETH deposit in wei (>= 1); ERC-20 minimums are set at registerToken.
    function minDeposit() external view returns (uint256);
    /// @notice Root of the empty account tree, the state before the first batch.
    function genesisRoot() external view returns (uint256);

    // ---------------------------------------------------------------------------------------
    // State

    /// @notice Current root of the account tree.
    function stateRoot() external view returns (uint256);
    /// @notice The only address allowed to submit batches.
    function sequencer() external view returns (address);
    /// @notice Number of accepted batches; the first batch submitted is number 1.
    function batchNumber() external view returns (uint32);
    /// @notice Number of L1 operations the batches have consumed.
    function l1Processed() external view returns (uint64);
    /// @notice Number of L1 operations ever queued.
    function l1OpCount() external view returns (uint64);
    /// @notice Number of accounts created (queued CREATE operations); the last index assigned.
    function accountCount() external view returns (uint32);
    /// @notice Number of token ids assigned; id 0 is ETH, ERC-20 tokens get 1, 2, ...
    function tokenCount() external view returns (uint32);
    /// @notice Set once, by `activateEscape`: no batches or L1 operations any more.
    function escapeMode() external view returns (bool);
    /// @notice block.timestamp of the last accepted batch (0 before the first).
    function lastBatchAt() external view returns (uint56);
    /// @notice block.timestamp of the last batch the sequencer submitted through submitBatch or
    ///         submitBatches (the deployment's before the first).
    function lastSequencerBatchAt() external view returns (uint56);
    /// @notice Queued L1 operations by 0-based queue index (the fields of L1Op).
    function l1Ops(
        uint256 queueIndex
    )
        external
        view
        returns (
            uint8 kind,
            uint32 accountIdx,
            uint32 tokenId,
            uint128 amount,
            uint56 queuedAt,
            address owner,
            bool refunded
        );
    /// @notice h_n: the queue hash after the first n operations (h_0 = 0).
    function l1ChainHash(uint256 n) external view returns (uint256);
    /// @notice Account index => its L1 owner and token.
    function accounts(uint256 accountIdx) external view returns (address owner, uint32 tokenId);
    /// @notice Token id => ERC-20 contract (0 for ETH, id 0).
    function tokenAddress(uint32 tokenId) external view returns (address);
    /// @notice Token id => smallest deposit of the ERC-20 in base units (set at registerToken; ETH's
    ///         is minDeposit, see minDepositOf).
    function tokenMinDeposit(uint32 tokenId) external view returns (uint256);
    /// @notice ERC-20 contract => token id (0 if not registered).
    function tokenIdOf(address token) external view returns (uint32);
    /// @notice Pending withdrawals: owner => token id => amount.
    function claimable(address owner, uint32 tokenId) external view returns (uint256);
    /// @notice Accounts whose balance was withdrawn in escape mode.
    function escapeWithdrawn(uint256 accountIdx) external view returns (bool);

    // ---------------------------------------------------------------------------------------
    // Tokens

    /// @notice Registers an ERC-20 token under the next token id; only the admin may. Deposits of it
    ///         must be at least `minDeposit_` base units (1 ..< 2^128), so dust accounts cost real
    ///         value (the tree has 4^depth - 1 slots) on top of the L1-operation fee.
    /// @return tokenId the id L2 accounts and L1 operations use for the token.
    function registerToken(address token, uint256 minDeposit_) external returns (uint32 tokenId);

    /// @notice The smallest deposit of token `tokenId` (minDeposit for ETH, id 0); 0 if the token
    ///         is not registered.
    function minDepositOf(uint32 tokenId) external view returns (uint256);

    // ---------------------------------------------------------------------------------------
    // L1 operations
    //
    // Every L1 operation pays l1OpFee in msg.value (an ETH deposit: the deposit plus the fee). The
    // fee is held until a batch consumes the operation, then credited (token 0) to the address that
    // submitted that batch; in escape mode an unprocessed operation's fee is refunded with it.

    /// @notice Deposits msg.value - l1OpFee wei into a new ETH account owned by msg.sender with L2
    ///         key (ax, ay).
    /// @return accountIdx the index the account will have.
    function depositETH(uint256 ax, uint256 ay) external payable returns (uint32 accountIdx);

    /// @notice Deposits msg.value - l1OpFee wei into the existing (or already queued) account
    ///         `accountIdx`. If that account does not hold ETH the batch refunds the deposit as a
    ///         withdrawal (the fee pays for that processing).
    function depositETHTo(uint32 accountIdx) external payable;

    /// @notice Deposits `amount` of the registered ERC-20 `tokenId` (approved to this contract) into
    ///         a new account owned by msg.sender with L2 key (ax, ay); msg.value must be l1OpFee.
    ///         The account is credited what the contract's balance actually grew by.
    /// @return accountIdx the index the account will have.
    function depositERC20(
        uint32 tokenId,
        uint256 amount,
        uint256 ax,
        uint256 ay
    ) external payable returns (uint32 accountIdx);

    /// @notice Deposits `amount` of the registered ERC-20 `tokenId` into the existing (or already
    ///         queued) account `accountIdx`; msg.value must be l1OpFee. Refunded as a withdrawal if
    ///         the account holds another token.
    function depositERC20To(uint32 accountIdx, uint32 tokenId, uint256 amount) external payable;

    /// @notice Requests that account `accountIdx`'s whole balance be paid out to its L1 owner;
    ///         only that owner may (the batch that consumes it always applies it); msg.value must
    ///         be l1OpFee.
    function forceExit(uint32 accountIdx) external payable;

    /// @notice Queues a transfer of `amount` from account `from` to account `to` (another account of
    ///         the same token); only `from`'s recorded owner may, and msg.value must be l1OpFee. The
    ///         batch that consumes it applies it if `from`'s balance covers it then (and `to`'s does
    ///         not overflow), and changes nothing otherwise: the way to move funds inside the rollup
    ///         when the sequencer ignores your transfers. Queued as kind FORCE_TRANSFER with
    ///         accountIdx = from, the sender's token, amount, ax = to, ay = 0.
    function forceTransfer(uint32 from, uint32 to, uint128 amount) external payable;

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
    ) external;

    /// @notice Applies `batches` in order exactly as that many submitBatch calls would (same
    ///         checks, public inputs, state changes, credits and events) but checks all their proofs
    ///         with one aggregated pairing check (verifyProofs),
    ///         which costs far less per batch than one verifyProof each. All or nothing: reverts if
    ///         any batch is malformed or any proof is invalid.
    /// @param batches at least one batch, in the order they apply; each as in submitBatch.
    /// @param proofs proofs[i] is the proof of batches[i], as in submitBatch.
    function submitBatches(BatchData[] calldata batches, uint256[8][] calldata proofs) external;

    /// @notice When anyone may submit fallback batches: fallbackDelay after the earlier of the
    ///         sequencer's last batch (lastSequencerBatchAt) and the oldest unprocessed L1
    ///         operation's queuedAt. So the fallback opens when the sequencer has been silent for
    ///         fallbackDelay, or an L1 operation has waited that long (a sequencer that posts
    ///         batches consumes the queue at full capacity, so only one that stops lets an
    ///         operation wait). Fallback batches do not close it; the sequencer's next batch does.
    function fallbackOpenAfter() external view returns (uint256);

    /// @notice submitBatch for anyone, with a proof of the fallback instance (verified by
    ///         fallbackVerifier; its slots bound l1Count, feeIdx and txData), once
    ///         block.timestamp >= fallbackOpenAfter(). The same checks, state changes, credits and
    ///         events as submitBatch (the consumed L1 operations' fees go to msg.sender), then
    ///         FallbackBatchSubmitted.
    function submitFallbackBatch(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment,
        uint256[8] calldata proof
    ) external;

    /// @notice publicInputs for a fallback batch (the fallback instance's slots and coefficients).
    function fallbackPublicInputs(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment
    ) external view returns (uint256[2] memory signals);

    /// @notice Hands the sequencer role to `newSequencer`; only the current sequencer may.
    function setSequencer(address newSequencer) external;

    /// @notice The public signals a proof of the next batch (from the current stateRoot and queue
    ///         position) must have, for the given batch data and commitment. Reverts on malformed
    ///         data exactly as submitBatch does.
    /// @return signals [y, z]: z = keccak256(c[0] ‖ … ‖ c[m−1] ‖ commitment) mod r and
    ///         y = Σ c[i]·z^i + commitment·z^m mod r over the data coefficients c
    ///         (libraries/PublicInputs.sol).
    function publicInputs(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment
    ) external view returns (uint256[2] memory signals);

    // ---------------------------------------------------------------------------------------
    // Withdrawals

    /// @notice Pays msg.sender everything credited to it in token `tokenId` (ETH for 0).
    function withdraw(uint32 tokenId) external;

    // ---------------------------------------------------------------------------------------
    // Escape hatch

    /// @notice When escape mode may be activated (activation needs a later block timestamp): both
    ///         the oldest unprocessed L1 operation has waited escapeDelay, and no batch has been
    ///         accepted for inactivityDelay, i.e. max(queuedAt + escapeDelay, lastBatchAt +
    ///         inactivityDelay); max uint if no operation waits. A sequencer that keeps submitting
    ///         batches (each consuming the queue at full capacity) never lets it pass, whatever
    ///         the queue's length; one that stops, or is censored off L1, does.
    function escapeAllowedAfter() external view returns (uint256);

    /// @notice Switches the rollup into escape mode, for good. Anyone may, once escapeAllowedAfter
    ///         has passed.
    function activateEscape() external;

    /// @notice In escape mode, credits account `accountIdx`'s balance in the last proven root to its
    ///         owner (the caller: the owner the contract recorded at creation), once per account.
    ///         The leaf is Poseidon(ax, ay, tokenId·2^160 + balance·2^32 + nonce) with the
    ///         recorded token; `siblings` holds, level by level from the leaves, the arity − 1
    ///         siblings in child-position order skipping the path node's own position: 7 per
    ///         8-ary level, then 3 for the 4-ary root level if 2·depth mod 3 != 0.
    function escapeWithdraw(
        uint32 accountIdx,
        uint256 ax,
        uint256 ay,
        uint128 balance,
        uint32 nonce,
        uint256[] calldata siblings
    ) external;

    /// @notice In escape mode, credits the unprocessed L1 operation at `queueIndex` back to the
    ///         address that queued it, once: a deposit's amount (in its token) and every operation's
    ///         fee (in ETH), since no batch processed it. Anyone may call it.
    function refundL1Op(uint256 queueIndex) external;
}
