// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPoseidon3, IPoseidon4, IPoseidon5, IPoseidon8} from "./interfaces/IPoseidon.sol";
import {IRollup} from "./interfaces/IRollup.sol";
import {IVerifier} from "./interfaces/IVerifier.sol";
import {AccountTree} from "./libraries/AccountTree.sol";
import {PublicInputs} from "./libraries/PublicInputs.sol";
import {EscapeHatch} from "./base/EscapeHatch.sol";
import {Exits} from "./base/Exits.sol";
import {L1Queue} from "./base/L1Queue.sol";

/// @title zkr rollup
/// @notice See IRollup (the external functions, events and errors, documented) and
///         docs/PROTOCOL.md (normative).
/// @dev The core: the constructor, the batch entry points and the batch-shape parameters. The
///      state is declared in base/RollupStorage.sol; the L1-operation queue, pull withdrawals and
///      the escape hatch are the base contracts base/L1Queue.sol, base/Exits.sol and
///      base/EscapeHatch.sol; the batch data coefficients and public inputs, and the account
///      tree's Merkle proofs, are the internal libraries libraries/PublicInputs.sol and
///      libraries/AccountTree.sol (inlined: no linking, no DELEGATECALL).
contract Rollup is IRollup, Exits, L1Queue, EscapeHatch {
    /// @inheritdoc IRollup
    IVerifier public immutable verifier;
    /// @inheritdoc IRollup
    bytes32 public immutable verifyingKeyHash;
    /// @inheritdoc IRollup
    uint16 public immutable batchSize;
    /// @inheritdoc IRollup
    uint8 public immutable feeSlots;
    /// @inheritdoc IRollup
    uint256 public immutable idxBytes;
    /// @inheritdoc IRollup
    uint256 public immutable txBytes;
    /// @inheritdoc IRollup
    uint256 public immutable txsPerCoefficient;
    /// @inheritdoc IRollup
    uint256 public immutable coefficientCount;
    /// @dev PublicInputs.toFieldMasks: to find transaction groups with an exit.
    uint256 private immutable groupToMask;
    uint256 private immutable groupToLow;
    uint256 private immutable groupToHigh;
    /// @inheritdoc IRollup
    uint256 public immutable genesisRoot;

    modifier onlySequencer() {
        if (msg.sender != sequencer) revert NotSequencer();
        _;
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
    ///        (< escapeDelay): seconds, see L1Queue._checkL1Count. l1OpFee (< 2^128): wei per L1
    ///        operation. minDeposit (1 ..< 2^128): smallest ETH deposit in wei. verifyingKeyHash: the
    ///        hash of the verification key the deployer means (src/proving/verifier.ts verifyingKeyHash of
    ///        its JSON).
    /// @dev The base constructors only store parameters; every check is here, before the first
    ///      external call.
    constructor(
        IVerifier verifier_,
        IPoseidon3 poseidon3_,
        IPoseidon4 poseidon4_,
        IPoseidon5 poseidon5_,
        IPoseidon8 poseidon8_,
        Config memory c
    ) L1Queue(poseidon5_, c) EscapeHatch(poseidon3_, poseidon4_, poseidon8_, c) {
        if (c.sequencer == address(0)) revert ZeroAddress();
        address[5] memory code = [
            address(verifier_),
            address(poseidon3_),
            address(poseidon4_),
            address(poseidon5_),
            address(poseidon8_)
        ];
        for (uint256 i = 0; i < 5; i++) {
            if (code[i] == address(0)) revert ZeroAddress();
            if (code[i].code.length == 0) revert NotContract(code[i]);
        }
        if (c.depth == 0 || c.depth > 16 || c.batchSize == 0 || c.l1Slots == 0 || c.feeSlots == 0)
            revert InvalidParameters();
        if (c.escapeDelay == 0 || c.escapeDelay > type(uint64).max) revert InvalidParameters();
        if (c.inactivityDelay == 0 || c.inactivityDelay > c.escapeDelay || c.l1Grace >= c.escapeDelay)
            revert InvalidParameters();
        if (c.l1OpFee >= AMOUNT_LIMIT || c.minDeposit == 0 || c.minDeposit >= AMOUNT_LIMIT) revert InvalidParameters();
        // A low-level call: a contract without the function (reverting, or returning nothing) is a
        // mismatch with hash 0, never an undecodable return.
        bytes32 keyHash;
        (bool ok, bytes memory ret) = address(verifier_).staticcall(abi.encodeCall(IVerifier.verifyingKeyHash, ()));
        if (ok && ret.length == 32) keyHash = abi.decode(ret, (bytes32));
        if (keyHash != c.verifyingKeyHash || keyHash == bytes32(0))
            revert VerifyingKeyMismatch(c.verifyingKeyHash, keyHash);

        verifier = verifier_;
        verifyingKeyHash = keyHash;
        batchSize = c.batchSize;
        feeSlots = c.feeSlots;
        uint256 ib = (2 * uint256(c.depth) + 7) / 8;
        idxBytes = ib;
        txBytes = 2 * ib + 6;
        // l1Count ‖ feeIdx must fit one 31-byte coefficient.
        if (1 + uint256(c.feeSlots) * ib > 31) revert InvalidParameters();
        uint256 perCoefficient = 31 / (2 * ib + 6);
        txsPerCoefficient = perCoefficient;
        coefficientCount = 5 + uint256(c.l1Slots) + (uint256(c.batchSize) + perCoefficient - 1) / perCoefficient;
        (groupToMask, groupToLow, groupToHigh) = PublicInputs.toFieldMasks(ib, perCoefficient);

        // The genesis state is the empty tree.
        (uint256 levels8, bool hasTop) = AccountTree.shape(c.depth);
        uint256 zero = AccountTree.emptyRoot(poseidon4_, poseidon8_, levels8, hasTop);
        genesisRoot = zero;
        stateRoot = zero;

        sequencer = c.sequencer;
        tokenCount = 1;
        emit SequencerChanged(address(0), c.sequencer);
    }

    // ---------------------------------------------------------------------------------------
    // Batches

    /// @inheritdoc IRollup
    function submitBatch(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment,
        uint256[8] calldata proof
    ) external onlySequencer notEscaped {
        (uint256[2] memory signals, bool maybeExits) = _publicInputs(
            newRoot,
            l1Count,
            l1Results,
            feeIdx,
            txData,
            commitment
        );
        if (!verifier.verifyProof(proof, signals)) revert InvalidProof();
        _applyBatch(newRoot, l1Count, l1Results, txData, maybeExits);
    }

    /// @inheritdoc IRollup
    function submitBatches(
        BatchData[] calldata batches,
        uint256[8][] calldata proofs
    ) external onlySequencer notEscaped {
        uint256 k = batches.length;
        if (k == 0 || proofs.length != k) revert BadBatchCount(k, proofs.length);
        uint256[2][] memory signals = new uint256[2][](k);
        for (uint256 i = 0; i < k; i++) {
            BatchData calldata b = batches[i];
            // Each batch's public inputs start from the state the batches before it left.
            bool maybeExits;
            (signals[i], maybeExits) = _publicInputs(
                b.newRoot,
                b.l1Count,
                b.l1Results,
                b.feeIdx,
                b.txData,
                b.commitment
            );
            _applyBatch(b.newRoot, b.l1Count, b.l1Results, b.txData, maybeExits);
        }
        if (!verifier.verifyProofs(proofs, signals)) revert InvalidProof();
    }

    /// @inheritdoc IRollup
    function setSequencer(address newSequencer) external onlySequencer {
        if (newSequencer == address(0)) revert ZeroAddress();
        sequencer = newSequencer;
        emit SequencerChanged(msg.sender, newSequencer);
    }

    /// @inheritdoc IRollup
    function publicInputs(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment
    ) public view returns (uint256[2] memory signals) {
        (signals, ) = _publicInputs(newRoot, l1Count, l1Results, feeIdx, txData, commitment);
    }

    /// @dev The effects of an accepted batch whose data the proof has checked: the new root, queue
    ///      position and time of the last batch, the L1 results and exits credited, the event, and
    ///      the consumed operations' fees credited to the submitter.
    function _applyBatch(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata txData,
        bool maybeExits
    ) private {
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
        if (maybeExits) _creditExits(txData, txBytes, idxBytes);
        emit BatchSubmitted(number, oldRoot, newRoot, l1Count, txData.length / txBytes);
        uint256 fees = uint256(l1Count) * l1OpFee;
        if (fees != 0) _credit(msg.sender, 0, fees);
    }

    /// @dev publicInputs, and whether txData may hold an exit (false only if it certainly holds
    ///      none). The checks, in order: newRoot < r, the L1 count (L1Queue._checkL1Count), the
    ///      data's shape (PublicInputs.checkData), commitment < r.
    function _publicInputs(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment
    ) private view returns (uint256[2] memory signals, bool maybeExits) {
        if (newRoot >= SNARK_FIELD) revert NotInField(newRoot);
        uint256 l1HashEnd = _checkL1Count(l1Count);
        PublicInputs.checkData(
            l1Count,
            l1Results,
            feeIdx,
            txData,
            uint256(feeSlots) * idxBytes,
            uint256(batchSize) * txBytes,
            txBytes,
            idxBytes
        );
        if (commitment >= SNARK_FIELD) revert NotInField(commitment);
        uint256[] memory c = PublicInputs.header(coefficientCount, stateRoot, newRoot, l1HashEnd, commitment);
        PublicInputs.writeL1(c, l1Count, l1Results, feeIdx);
        maybeExits = PublicInputs.writeTxs(
            c,
            5 + uint256(l1Slots),
            txData,
            txsPerCoefficient * txBytes,
            groupToMask,
            groupToLow,
            groupToHigh
        );
        (signals[0], signals[1]) = PublicInputs.evaluate(c);
    }
}
