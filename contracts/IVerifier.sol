// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Moved to contracts/interfaces/IVerifier.sol. Verifiers generated before the move
// (contracts/generated/ZkrVerifier_<label>.sol, rewritten by the next circuit setup) import it
// from here; this re-export keeps them compiling until then.
import {IVerifier} from "./interfaces/IVerifier.sol";
