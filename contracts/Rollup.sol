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
    /// @inheritdoc IRollup
    IVerifier public immutable fallbackVerifier;
    /// @inheritdoc IRollup
    bytes32 public immutable fallbackVerifyingKeyHash;
    /// @inheritdoc IRollup
    uint16 public immutable fallbackBatchSize;
    /// @inheritdoc IRollup
    uint8 public immutable fallbackL1Slots;
    /// @inheritdoc IRollup
    uint8 public immutable fallbackFeeSlots;
    /// @inheritdoc IRollup
    uint256 public immutable fallbackCoefficientCount;
    /// @inheritdoc IRollup
    uint256 public immutable fallbackDelay;
    /// @dev PublicInputs.toFieldMasks: to find transaction groups with an exit.
    uint256 private immutable groupToMask;
    uint256 private immutable groupToLow;
    uint256 private immutable groupToHigh;
    /// @inheritdoc IRollup
    uint256 public immutable genesisRoot;

    /// @dev The slots of the instance a batch is proven with (the main one or the fallback): what
    ///      bounds its data, and the number of its data coefficients.
    struct Shape {
        uint256 batchSize;
        uint256 l1Slots;
        uint256 feeSlots;
        uint256 coefficientCount;
    }

    modifier onlySequencer() {
        if (msg.sender != sequencer) revert NotSequencer();
        _;
    }

    /// @param verifier_ Groth16 verifier of the circuit instance (c.depth, c.batchSize, c.l1Slots,
    ///        c.feeSlots), for single and aggregated proofs; its verifyingKeyHash() must be
    ///        c.verifyingKeyHash.
    /// @param fallbackVerifier_ Groth16 verifier of the fallback instance (c.depth,
    ///        c.fallbackBatchSize, c.fallbackL1Slots, c.fallbackFeeSlots); its verifyingKeyHash()
    ///        must be c.fallbackVerifyingKeyHash.
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
    ///        its JSON). fallbackBatchSize, fallbackL1Slots, fallbackFeeSlots (each >= 1),
    ///        fallbackVerifyingKeyHash: the fallback instance's, likewise. fallbackDelay
    ///        (1 ..< escapeDelay): seconds, see fallbackOpenAfter.
    /// @dev The base constructors only store parameters; every check is here, before the first
    ///      external call.
    constructor(
        IVerifier verifier_,
        IVerifier fallbackVerifier_,
        IPoseidon3 poseidon3_,
        IPoseidon4 poseidon4_,
        IPoseidon5 poseidon5_,
        IPoseidon8 poseidon8_,
        Config memory c
    ) L1Queue(poseidon5_, c) EscapeHatch(poseidon3_, poseidon4_, poseidon8_, c) {
        if (c.sequencer == address(0)) revert ZeroAddress();
        address[6] memory code = [
            address(verifier_),
            address(fallbackVerifier_),
            address(poseidon3_),
            address(poseidon4_),
            address(poseidon5_),
            address(poseidon8_)
        ];
        for (uint256 i = 0; i < 6; i++) {
            if (code[i] == address(0)) revert ZeroAddress();
            if (code[i].code.length == 0) revert NotContract(code[i]);
        }
        if (c.depth == 0 || c.depth > 16 || c.batchSize == 0 || c.l1Slots == 0 || c.feeSlots == 0)
            revert InvalidParameters();
        if (c.fallbackBatchSize == 0 || c.fallbackL1Slots == 0 || c.fallbackFeeSlots == 0) revert InvalidParameters();
        if (c.fallbackDelay == 0 || c.fallbackDelay >= c.escapeDelay) revert InvalidParameters();
        if (c.escapeDelay == 0 || c.escapeDelay > type(uint64).max) revert InvalidParameters();
        if (c.inactivityDelay == 0 || c.inactivityDelay > c.escapeDelay || c.l1Grace >= c.escapeDelay)
            revert InvalidParameters();
        if (c.l1OpFee >= AMOUNT_LIMIT || c.minDeposit == 0 || c.minDeposit >= AMOUNT_LIMIT) revert InvalidParameters();
        verifier = verifier_;
        verifyingKeyHash = _checkKeyHash(verifier_, c.verifyingKeyHash);
        fallbackVerifier = fallbackVerifier_;
        fallbackVerifyingKeyHash = _checkKeyHash(fallbackVerifier_, c.fallbackVerifyingKeyHash);
        batchSize = c.batchSize;
        feeSlots = c.feeSlots;
        fallbackBatchSize = c.fallbackBatchSize;
        fallbackL1Slots = c.fallbackL1Slots;
        fallbackFeeSlots = c.fallbackFeeSlots;
        fallbackDelay = c.fallbackDelay;
        uint256 ib = (2 * uint256(c.depth) + 7) / 8;
        idxBytes = ib;
        txBytes = 2 * ib + 6;
        // l1Count ‖ feeIdx must fit one 31-byte coefficient, in either instance.
        if (1 + uint256(c.feeSlots) * ib > 31 || 1 + uint256(c.fallbackFeeSlots) * ib > 31) revert InvalidParameters();
        uint256 perCoefficient = 31 / (2 * ib + 6);
        txsPerCoefficient = perCoefficient;
        coefficientCount = 5 + uint256(c.l1Slots) + (uint256(c.batchSize) + perCoefficient - 1) / perCoefficient;
        fallbackCoefficientCount =
            5 +
            uint256(c.fallbackL1Slots) +
            (uint256(c.fallbackBatchSize) + perCoefficient - 1) / perCoefficient;
        (groupToMask, groupToLow, groupToHigh) = PublicInputs.toFieldMasks(ib, perCoefficient);

        // The genesis state is the empty tree.
        (uint256 levels8, bool hasTop) = AccountTree.shape(c.depth);
        uint256 zero = AccountTree.emptyRoot(poseidon4_, poseidon8_, levels8, hasTop);
        genesisRoot = zero;
        stateRoot = zero;

        sequencer = c.sequencer;
        tokenCount = 1;
        lastSequencerBatchAt = uint56(block.timestamp);
        emit SequencerChanged(address(0), c.sequencer);
    }

    /// @dev The verifier's verifyingKeyHash(), which must be `expected` (and not 0). A low-level
    ///      call: a contract without the function (reverting, or returning nothing) is a mismatch
    ///      with hash 0, never an undecodable return.
    function _checkKeyHash(IVerifier v, bytes32 expected) private view returns (bytes32 keyHash) {
        (bool ok, bytes memory ret) = address(v).staticcall(abi.encodeCall(IVerifier.verifyingKeyHash, ()));
        if (ok && ret.length == 32) keyHash = abi.decode(ret, (bytes32));
        if (keyHash != expected || keyHash == bytes32(0)) revert VerifyingKeyMismatch(expected, keyHash);
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
            _mainShape(),
            newRoot,
            l1Count,
            l1Results,
            feeIdx,
            txData,
            commitment
        );
        if (!verifier.verifyProof(proof, signals)) revert InvalidProof();
        _applyBatch(newRoot, l1Count, l1Results, txData, maybeExits);
        lastSequencerBatchAt = uint56(block.timestamp);
    }

    /// @inheritdoc IRollup
    function submitBatches(
        BatchData[] calldata batches,
        uint256[8][] calldata proofs
    ) external onlySequencer notEscaped {
        uint256 k = batches.length;
        if (k == 0 || proofs.length != k) revert BadBatchCount(k, proofs.length);
        uint256[2][] memory signals = new uint256[2][](k);
        Shape memory shape = _mainShape();
        for (uint256 i = 0; i < k; i++) {
            BatchData calldata b = batches[i];
            // Each batch's public inputs start from the state the batches before it left.
            bool maybeExits;
            (signals[i], maybeExits) = _publicInputs(
                shape,
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
        lastSequencerBatchAt = uint56(block.timestamp);
    }

    /// @inheritdoc IRollup
    function fallbackOpenAfter() public view returns (uint256) {
        uint256 since = lastSequencerBatchAt;
        uint256 processed = l1Processed;
        if (processed < l1OpCount) {
            uint256 queuedAt = l1Ops[processed].queuedAt;
            if (queuedAt < since) since = queuedAt;
        }
        return since + fallbackDelay;
    }

    /// @inheritdoc IRollup
    function submitFallbackBatch(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment,
        uint256[8] calldata proof
    ) external notEscaped {
        uint256 openAfter = fallbackOpenAfter();
        if (block.timestamp < openAfter) revert FallbackNotOpen(openAfter);
        (uint256[2] memory signals, bool maybeExits) = _publicInputs(
            _fallbackShape(),
            newRoot,
            l1Count,
            l1Results,
            feeIdx,
            txData,
            commitment
        );
        if (!fallbackVerifier.verifyProof(proof, signals)) revert InvalidProof();
        _applyBatch(newRoot, l1Count, l1Results, txData, maybeExits);
        emit FallbackBatchSubmitted(batchNumber, msg.sender);
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
        (signals, ) = _publicInputs(_mainShape(), newRoot, l1Count, l1Results, feeIdx, txData, commitment);
    }

    /// @inheritdoc IRollup
    function fallbackPublicInputs(
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment
    ) public view returns (uint256[2] memory signals) {
        (signals, ) = _publicInputs(_fallbackShape(), newRoot, l1Count, l1Results, feeIdx, txData, commitment);
    }

    /// @dev PublicInputs.checkData with the limits of `shape`.
    function _checkData(
        Shape memory shape,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData
    ) private view {
        uint256 maxFee = shape.feeSlots * idxBytes;
        uint256 maxTx = shape.batchSize * txBytes;
        PublicInputs.checkData(l1Count, l1Results, feeIdx, txData, maxFee, maxTx, txBytes, idxBytes);
    }

    function _mainShape() private view returns (Shape memory) {
        return Shape(batchSize, l1Slots, feeSlots, coefficientCount);
    }

    function _fallbackShape() private view returns (Shape memory) {
        return Shape(fallbackBatchSize, fallbackL1Slots, fallbackFeeSlots, fallbackCoefficientCount);
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

    /// @dev publicInputs for the instance of `shape`, and whether txData may hold an exit (false
    ///      only if it certainly holds none). The checks, in order: newRoot < r, the L1 count
    ///      (L1Queue._checkL1Count), the data's shape (PublicInputs.checkData), commitment < r.
    function _publicInputs(
        Shape memory shape,
        uint256 newRoot,
        uint8 l1Count,
        bytes calldata l1Results,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256 commitment
    ) private view returns (uint256[2] memory signals, bool maybeExits) {
        if (newRoot >= SNARK_FIELD) revert NotInField(newRoot);
        uint256 l1HashEnd = _checkL1Count(l1Count, shape.l1Slots);
        _checkData(shape, l1Count, l1Results, feeIdx, txData);
        if (commitment >= SNARK_FIELD) revert NotInField(commitment);
        uint256[] memory c = PublicInputs.header(shape.coefficientCount, stateRoot, newRoot, l1HashEnd, commitment);
        PublicInputs.writeL1(c, l1Count, l1Results, feeIdx);
        maybeExits = PublicInputs.writeTxs(
            c,
            5 + shape.l1Slots,
            txData,
            txsPerCoefficient * txBytes,
            groupToMask,
            groupToLow,
            groupToHigh
        );
        (signals[0], signals[1]) = PublicInputs.evaluate(c);
    }
}
