// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerifier} from "./IVerifier.sol";

/// @title zkr rollup
/// @notice Holds the root of the L2 account tree and advances it one batch at a time, each batch
///         carrying a Groth16 proof of the transition. Batch data (fee account indexes and the
///         packed L2 transactions) is posted as calldata; an indexer rebuilds the L2 state from the
///         transactions that emitted `BatchSubmitted`. Normative description: docs/PROTOCOL.md.
contract Rollup {
    /// @notice BN254 scalar field order `r`: roots and the proof's public signal are below it.
    uint256 public constant SNARK_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Verifier of the circuit instance this rollup runs.
    IVerifier public immutable verifier;
    /// @notice Depth `D` of the 4-ary account tree.
    uint8 public immutable depth;
    /// @notice Transaction slots per batch (`N`).
    uint16 public immutable batchSize;
    /// @notice Fee slots per batch (`F`).
    uint8 public immutable feeSlots;
    /// @notice Bytes of an account index in calldata: ceil(2·D / 8).
    uint256 public immutable idxBytes;
    /// @notice Bytes of one L2 transaction in calldata: 2·idxBytes + 6.
    uint256 public immutable txBytes;
    /// @notice Root of the account tree before the first batch.
    uint256 public immutable genesisRoot;

    /// @notice Current root of the account tree.
    uint256 public stateRoot;
    /// @notice The only address allowed to submit batches.
    address public sequencer;
    /// @notice Number of accepted batches; the first batch submitted is number 1.
    uint32 public batchNumber;

    /// @notice Batch `batchNumber` moved the root from `oldRoot` to `newRoot`; its calldata
    ///         (submitBatch) holds `txCount` posted transaction slots.
    event BatchSubmitted(uint256 indexed batchNumber, uint256 oldRoot, uint256 newRoot, uint256 txCount);
    /// @notice The sequencer role moved from `previous` to `current`.
    event SequencerChanged(address indexed previous, address indexed current);

    /// @notice The caller is not the sequencer.
    error NotSequencer();
    /// @notice An address that must be set is zero.
    error ZeroAddress();
    /// @notice The verifier address holds no code.
    error VerifierNotContract();
    /// @notice Instance parameters out of range (1 <= depth <= 16, batchSize >= 1, feeSlots >= 1).
    error InvalidParameters();
    /// @notice A root is not a field element (>= r).
    error RootNotInField(uint256 root);
    /// @notice `feeIdx` is not exactly feeSlots·idxBytes bytes.
    error BadFeeDataLength(uint256 length, uint256 expected);
    /// @notice `txData` is not a whole number of transactions, or holds more than batchSize.
    error BadTxDataLength(uint256 length, uint256 max);
    /// @notice The verifier rejected the proof.
    error InvalidProof();

    modifier onlySequencer() {
        if (msg.sender != sequencer) revert NotSequencer();
        _;
    }

    /// @param verifier_ Groth16 verifier of the circuit instance (depth_, batchSize_, feeSlots_).
    /// @param genesisRoot_ root of the initial account tree (< r).
    /// @param sequencer_ address allowed to submit batches.
    /// @param depth_ depth of the 4-ary account tree, 1..16.
    /// @param batchSize_ transaction slots per batch, >= 1.
    /// @param feeSlots_ fee slots per batch, >= 1.
    constructor(
        IVerifier verifier_,
        uint256 genesisRoot_,
        address sequencer_,
        uint8 depth_,
        uint16 batchSize_,
        uint8 feeSlots_
    ) {
        if (sequencer_ == address(0) || address(verifier_) == address(0)) revert ZeroAddress();
        if (address(verifier_).code.length == 0) revert VerifierNotContract();
        if (depth_ == 0 || depth_ > 16 || batchSize_ == 0 || feeSlots_ == 0) revert InvalidParameters();
        if (genesisRoot_ >= SNARK_FIELD) revert RootNotInField(genesisRoot_);

        verifier = verifier_;
        depth = depth_;
        batchSize = batchSize_;
        feeSlots = feeSlots_;
        uint256 ib = (2 * uint256(depth_) + 7) / 8;
        idxBytes = ib;
        txBytes = 2 * ib + 6;
        genesisRoot = genesisRoot_;

        stateRoot = genesisRoot_;
        sequencer = sequencer_;
        emit SequencerChanged(address(0), sequencer_);
    }

    /// @notice Applies the next batch: moves the root to `newRoot` if `proof` proves the transition.
    /// @param newRoot root of the account tree after the batch (< r).
    /// @param feeIdx the batch's feeSlots fee account indexes, idxBytes each, big-endian.
    /// @param txData the posted transactions, txBytes each (at most batchSize); the remaining
    ///        slots up to batchSize are padding (zero bytes) and are not posted.
    /// @param proof Groth16 proof [a0, a1, b00, b01, b10, b11, c0, c1] in the verifier's argument
    ///        order (the order snarkjs `exportSolidityCallData` prints, B's coordinates swapped).
    function submitBatch(
        uint256 newRoot,
        bytes calldata feeIdx,
        bytes calldata txData,
        uint256[8] calldata proof
    ) external onlySequencer {
        uint256 h = inputHash(newRoot, feeIdx, txData);
        if (!_verify(proof, h)) revert InvalidProof();

        uint256 oldRoot = stateRoot;
        uint32 number = batchNumber + 1;
        stateRoot = newRoot;
        batchNumber = number;
        emit BatchSubmitted(number, oldRoot, newRoot, txData.length / txBytes);
    }

    /// @notice Hands the sequencer role to `newSequencer`; only the current sequencer may.
    /// @param newSequencer the address that submits batches from now on (not zero).
    function setSequencer(address newSequencer) external onlySequencer {
        if (newSequencer == address(0)) revert ZeroAddress();
        sequencer = newSequencer;
        emit SequencerChanged(msg.sender, newSequencer);
    }

    /// @notice The public signal a proof of the next batch (number batchNumber + 1, from the
    ///         current stateRoot) must have, for the given batch data. Reverts on malformed data
    ///         exactly as submitBatch does.
    /// @param newRoot root of the account tree after the batch.
    /// @param feeIdx the batch's fee account indexes, as for submitBatch.
    /// @param txData the posted transactions, as for submitBatch.
    /// @return sha256(stateRoot ‖ newRoot ‖ uint64 chainId ‖ this ‖ uint32 (batchNumber+1) ‖ feeIdx
    ///         ‖ txData ‖ zero padding to batchSize·txBytes) mod r.
    function inputHash(uint256 newRoot, bytes calldata feeIdx, bytes calldata txData) public view returns (uint256) {
        _checkBatchData(newRoot, feeIdx, txData);
        return _inputHash(stateRoot, newRoot, batchNumber + 1, feeIdx, txData);
    }

    /// @dev Rejects batch data whose shape does not match the instance parameters.
    function _checkBatchData(uint256 newRoot, bytes calldata feeIdx, bytes calldata txData) internal view {
        if (newRoot >= SNARK_FIELD) revert RootNotInField(newRoot);
        uint256 feeLength = uint256(feeSlots) * idxBytes;
        if (feeIdx.length != feeLength) revert BadFeeDataLength(feeIdx.length, feeLength);
        uint256 maxTxLength = uint256(batchSize) * txBytes;
        if (txData.length > maxTxLength || txData.length % txBytes != 0) {
            revert BadTxDataLength(txData.length, maxTxLength);
        }
    }

    /// @dev The proof's public signal (docs/PROTOCOL.md, Batch). The one place the preimage is
    ///      built: extensions that bind more data to a batch add it here. Expects checked data.
    function _inputHash(
        uint256 oldRoot,
        uint256 newRoot,
        uint32 number,
        bytes calldata feeIdx,
        bytes calldata txData
    ) internal view returns (uint256) {
        bytes memory padding = new bytes(uint256(batchSize) * txBytes - txData.length);
        bytes memory preimage = abi.encodePacked(
            oldRoot, newRoot, uint64(block.chainid), address(this), number, feeIdx, txData, padding
        );
        return uint256(sha256(preimage)) % SNARK_FIELD;
    }

    /// @dev Runs the verifier on `proof` with `publicSignal` as the only public input.
    function _verify(uint256[8] calldata proof, uint256 publicSignal) internal view returns (bool) {
        return verifier.verifyProof(
            [proof[0], proof[1]], [[proof[2], proof[3]], [proof[4], proof[5]]], [proof[6], proof[7]], [publicSignal]
        );
    }
}
