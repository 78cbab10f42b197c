// The bodies of the sequencer's HTTP API: what src/sequencer/api.ts sends and src/cli/client.ts
// reads, in one place, with the functions that write the server's answers. Numbers the L2 holds
// (indexes, amounts, roots) are decimal strings; the model's JSON forms are used as they are.
import { type Account, accountToJSON, type AccountJSON } from "../model/account.js";
import { transferToJSON, type TransferJSON } from "../model/tx.js";
import type { RetryView } from "./errors.js";
import type { BatchRecord, BatchStatus, TxRecord, TxStatus } from "./store.js";

export type { RetryView } from "./errors.js";
export type { BatchStatus, TxStatus } from "./store.js";
export type { TransferJSON } from "../model/tx.js";

/** Every error answer: a 4xx or 5xx status with a machine-readable code (UNKNOWN_ACCOUNT, BAD_NONCE, …). */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** POST /v1/txs takes a signed transfer or exit in its model JSON form (src/model/tx.ts transferToJSON). */
export type SubmitTxBody = TransferJSON;

/** A transaction: POST /v1/txs (202) and GET /v1/txs/:id. */
export interface TxView {
  id: string;
  /** included = in an L1 block; final = that block is final on L1 (src/sequencer/store.ts). */
  status: TxStatus;
  reason: string | null;
  batch: number | null;
  receivedAt: number;
  updatedAt: number;
  tx: TransferJSON;
}

/** An account: GET /v1/accounts/:index, and each of GET /v1/accounts?ax=…&ay=…'s (or ?owner=…'s) `accounts`. */
export interface AccountView extends AccountJSON {
  index: string;
  /** Nonce the account's next transaction must use (counting its pending ones). */
  nextNonce: string;
}

/** GET /v1/accounts?ax=…&ay=…, GET /v1/accounts?owner=0x…: the accounts of one public key, or of one L1 owner, by index. */
export interface AccountsBody {
  accounts: AccountView[];
}

/** A batch: GET /v1/batches/:number. */
export interface BatchView {
  number: number;
  status: BatchStatus;
  l1From: number;
  l1Count: number;
  /** Ids of its transactions. */
  txs: string[];
  feeIdx: string[];
  oldRoot: string;
  newRoot: string;
  commitment: string;
  publicSignals: string[];
  l1TxHash: string | null;
  l1Block: number | null;
  l1BlockHash: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A batch built and not final on L1 yet, in the status. */
export interface BatchInFlightView {
  number: number;
  status: BatchStatus;
  txs: number;
  l1Ops: number;
  ageMs: number;
  l1Block?: number;
  l1Tx?: string | null;
  proving: RetryView;
  submission: RetryView;
  error?: string;
}

/** GET /v1/status (src/sequencer/service.ts Sequencer.status). */
export interface StatusView {
  chainId: string;
  rollup: string;
  instance: string;
  /** The engine of Poseidon and the signature checks (src/model/crypto.ts); absent from sequencers before it was reported. */
  crypto?: "native" | "js";
  stateRoot: string;
  accounts: number;
  l1OpsKnown: number;
  l1OpsConsumed: number;
  txs: Record<TxStatus, number>;
  /** Absent from sequencers before the bounded mempool. */
  mempool?: {
    pending: number;
    senders: number;
    maxPending: number;
    maxPendingPerSender: number;
    minFee: Record<string, string>;
    /** Submissions waiting for their signature check; where the checks run. Absent before the signature pool. */
    checking?: number;
    signatures?: "worker threads" | "service thread";
    /** Group commits since the start, and the transactions they stored. Absent before group commit. */
    groupCommits?: { flushes: number; txs: number };
  };
  /** When a batch counts as final, e.g. "3 confirmations". */
  finality: string;
  l1?: { head: number; finalized: number; scanned: number | null; batchNumber: number };
  batches: { total: number; included: number; final: number; inFlight: BatchInFlightView[] };
  /** The last proof the proving backend delivered: batch, worker, which prover and witness calculator, times (absent until one). */
  lastProof?: { batch: number; worker: string; prover?: string; witness?: string; witnessMs: number; proveMs: number; at: string };
  reconciliations: {
    count: number;
    last?: { at: string; reason: string; l1OpsFrom?: number; l1OpsDropped: number; resubmitted: number[]; rewoundFrom?: number; finalLost: number[] };
  };
  /** Backoff before rebuilding a batch L1 refused. */
  rebuild?: RetryView;
  lastError?: string;
  /** Why the sequencer stopped (configuration), if it did. */
  fatal?: string;
  /** The FatalError code of that stop (src/sequencer/errors.ts: OUT_OF_SYNC, WRONG_DATABASE, NOT_SEQUENCER, …). */
  fatalCode?: string;
}

export function txView(r: TxRecord): TxView {
  return { id: r.id, status: r.status, reason: r.reason, batch: r.batch, receivedAt: r.receivedAt, updatedAt: r.updatedAt, tx: transferToJSON(r.tx) };
}

export function accountView(index: bigint, a: Account, nextNonce: bigint): AccountView {
  return { index: index.toString(), ...accountToJSON(a), nextNonce: nextNonce.toString() };
}

export function batchView(b: BatchRecord): BatchView {
  return {
    number: b.number,
    status: b.status,
    l1From: b.l1From,
    l1Count: b.l1Count,
    txs: b.txIds,
    feeIdx: b.feeIdx.map(String),
    oldRoot: b.oldRoot.toString(),
    newRoot: b.newRoot.toString(),
    commitment: b.commitment.toString(),
    publicSignals: b.publicSignals.map(String),
    l1TxHash: b.l1TxHash,
    l1Block: b.l1Block,
    l1BlockHash: b.l1BlockHash,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}
