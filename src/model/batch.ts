import { MAX_BALANCE, type Account } from "./account.js";
import { type BatchData, decodeBatchData, type DecodedBatchData, encodeBatchData } from "./batchData.js";
import { computePublicInputs } from "./publicInputs.js";
import { l1ChainStep, L1OpKind, type L1Op, type QueuedL1Op } from "./l1op.js";
import type { L2State, LeafWitness, RootRef, SignatureResult } from "./state.js";
import { runTreePlan, type TreePlan, type TreePlanResult } from "./treePlan.js";
import { emptyWitness, TxRejectedError } from "./state.js";
import { packedAmounts, type Domain, type SignedTransfer, type Transfer } from "./tx.js";
import type { DerivedParams } from "./params.js";

/** Signature inputs of a padding slot: all zero, like every other input of the slot. */
export const PADDING_SIGNATURE = { R8x: 0n, R8y: 0n, S: 0n };

export interface BatchContext {
  domain: Domain;
  /** Fee account indexes, at most feeSlots of them (unused slots are 0). */
  feeIdx: bigint[];
  /** Queue hash before the first L1 operation of this batch (the contract's chain value). */
  l1HashStart?: bigint;
  /**
   * A check of a transaction's signature made before (the mempool's, in a worker thread), used
   * while the sender still has the key it was checked against (L2State.validateTransfer).
   */
  signatureOf?: (tx: SignedTransfer) => SignatureResult | undefined;
  /**
   * The instance the batch is proven with, when it is not the state's: the rollup's fallback
   * instance (src/proving/instances.ts fallbackOf), of the same depth, for a fallback batch.
   */
  params?: DerivedParams;
}

/** What goes into a batch: the next queued L1 operations (in queue order), then L2 transactions. */
export interface BatchContents {
  /** At most l1Slots operations, the oldest unprocessed ones, in queue order. */
  l1Ops?: L1Op[];
  /** Candidate L2 transfers and exits; invalid ones are left out. */
  txs: SignedTransfer[];
}

export interface Rejected {
  tx: SignedTransfer;
  error: TxRejectedError;
}

export interface Batch {
  oldRoot: bigint;
  /** The batch as posted on L1: new root, L1 results, fee indexes, transactions, commitment (src/model/batchData.ts). */
  data: BatchData;
  /** L1 operations consumed, their results (refund or forced-exit amount) and the queue hash after them. */
  l1Ops: L1Op[];
  l1Results: bigint[];
  l1HashEnd: bigint;
  /** Transfers included, in order. */
  txs: SignedTransfer[];
  /** Transfers left out, with why. */
  rejected: Rejected[];
  /** Fee indexes padded to feeSlots. */
  feeIdx: bigint[];
  /** Fees credited per fee slot. */
  fees: bigint[];
  /** The proof's public signals [evaluation, challenge], as the contract derives them. */
  publicSignals: [bigint, bigint];
  /** Input object of the circuit Batch(D, N, L, F), values as decimal strings. */
  circuitInput: Record<string, unknown>;
  /**
   * The account root before each of the N transaction slots (padding slots: the root after the
   * last transaction): the link inputs of the per-transaction circuits (src/proving/link.ts).
   */
  txRootsIn: bigint[];
}

type Sig = { R8x: bigint; R8y: bigint; S: bigint };

/** A leaf's fields and Merkle proof as the circuit takes them. */
export type LeafInput = Pick<LeafWitness, "account" | "proof">;

/** One transaction slot of the circuit input (all zero for padding). */
export interface TxSlotInput {
  from: bigint;
  to: bigint;
  amountF: bigint;
  feeF: bigint;
  sig: Sig;
  sender: LeafInput;
  receiver: LeafInput;
}

/** Everything the circuit Batch(D, N, L, F) takes, slot by slot. */
export interface CircuitInputParts {
  /** The public challenge z (src/model/publicInputs.ts). */
  challenge: bigint;
  oldRoot: bigint;
  newRoot: bigint;
  domain: Domain;
  l1HashStart: bigint;
  /** Number of L1 operations consumed: the first l1Count of l1Slots. */
  l1Count: number;
  /** L entries: the consumed operations, then all-zero ones. */
  l1Slots: L1Op[];
  l1Leaves: LeafInput[];
  /** The receiver's leaf of a forced transfer in L1 slot 0 (before it), else the all-zero witness. */
  l1To: LeafInput;
  feeIdx: bigint[];
  slots: TxSlotInput[];
  feeLeaves: LeafInput[];
}

const str = (v: bigint) => v.toString();

function leafInputs(prefix: string, ws: LeafInput[]): Record<string, unknown> {
  const field = (k: keyof Account) => ws.map((w) => str(w.account[k]));
  return {
    [`${prefix}Ax`]: field("ax"),
    [`${prefix}Ay`]: field("ay"),
    [`${prefix}Token`]: field("tokenId"),
    [`${prefix}Balance`]: field("balance"),
    [`${prefix}Nonce`]: field("nonce"),
    [`${prefix}Siblings`]: ws.map((w) => w.proof.flat().map(str)),
  };
}

/** The inputs of one leaf, as the scalar signals `${prefix}Ax` … `${prefix}Siblings`. */
function leafInput(prefix: string, w: LeafInput): Record<string, unknown> {
  return Object.fromEntries(Object.entries(leafInputs(prefix, [w])).map(([k, v]) => [k, (v as unknown[])[0]]));
}

/**
 * The inputs of Batch(D, N, L, F) indexed by transaction slot (an array of N each, in
 * circuitInputOf), which are also the inputs of one Transfer(D, F) of the same names.
 */
export const TX_SLOT_INPUTS: readonly string[] = [
  "from",
  "to",
  "amountF",
  "feeF",
  "sigS",
  "sigR8x",
  "sigR8y",
  ...["sender", "receiver"].flatMap((who) => ["Ax", "Ay", "Token", "Balance", "Nonce", "Siblings"].map((f) => `${who}${f}`)),
];

/** The circuit's input object (signal name → decimal strings): the one place its names live. */
export function circuitInputOf(x: CircuitInputParts): Record<string, unknown> {
  const op = (k: keyof L1Op) => x.l1Slots.map((o) => str(BigInt(o[k])));
  return {
    challenge: str(x.challenge),
    oldRoot: str(x.oldRoot),
    newRoot: str(x.newRoot),
    chainId: str(x.domain.chainId),
    rollupAddress: str(x.domain.rollupAddress),
    l1HashStart: str(x.l1HashStart),
    l1Count: String(x.l1Count),
    l1Kind: op("kind"),
    l1AccountIdx: op("accountIdx"),
    l1Token: op("tokenId"),
    l1Amount: op("amount"),
    l1Owner: op("owner"),
    l1Ax: op("ax"),
    l1Ay: op("ay"),
    ...leafInputs("l1Leaf", x.l1Leaves),
    ...leafInput("l1To", x.l1To),
    feeIdx: x.feeIdx.map(str),
    from: x.slots.map((s) => str(s.from)),
    to: x.slots.map((s) => str(s.to)),
    amountF: x.slots.map((s) => str(s.amountF)),
    feeF: x.slots.map((s) => str(s.feeF)),
    sigS: x.slots.map((s) => str(s.sig.S)),
    sigR8x: x.slots.map((s) => str(s.sig.R8x)),
    sigR8y: x.slots.map((s) => str(s.sig.R8y)),
    ...leafInputs(
      "sender",
      x.slots.map((s) => s.sender),
    ),
    ...leafInputs(
      "receiver",
      x.slots.map((s) => s.receiver),
    ),
    ...leafInputs("fee", x.feeLeaves),
  };
}

/**
 * A batch's fees (docs/PROTOCOL.md, "Batch"): one slot per fee account, each collecting the fees
 * of the transactions of its account's token, all credited after the batch's last transaction
 * (the circuit's FeeCredit). buildBatch and applyBatchData both count and credit fees here.
 */
export class BatchFees {
  /** Fees collected per slot. */
  private readonly collected: bigint[];
  /** Token of each slot's account; undefined for an unused slot (index 0). */
  private readonly tokens: (bigint | undefined)[];

  /**
   * `feeIdx`: the batch's fee indexes, padded to feeSlots with 0. Throws unless every other index
   * is an account (the batch's L1 operations may have created it) and no two hold one token.
   */
  constructor(
    private readonly state: L2State,
    readonly feeIdx: readonly bigint[],
  ) {
    this.tokens = [];
    for (const idx of feeIdx) {
      const a = idx === 0n ? undefined : state.account(idx);
      if (idx !== 0n && !a) throw new Error(`fee account ${idx} does not exist`);
      if (a && this.tokens.includes(a.tokenId)) throw new Error(`two fee accounts for token ${a.tokenId}`);
      this.tokens.push(a?.tokenId);
    }
    this.collected = feeIdx.map(() => 0n);
  }

  /** The tokens that have a fee account in the batch: a transaction of another token pays no fee. */
  feeTokens(): bigint[] {
    return this.tokens.filter((t): t is bigint => t !== undefined);
  }

  /** Fees collected per slot. */
  get fees(): bigint[] {
    return [...this.collected];
  }

  /** The fees per slot once a fee of `tokenId` is added (nothing is recorded). */
  with(tokenId: bigint, fee: bigint): bigint[] {
    const j = this.tokens.indexOf(tokenId);
    return this.collected.map((f, k) => (k === j ? f + fee : f));
  }

  /** Records a transaction's fee: to the slot of its sender's token (none: the fee is 0, validateTransfer's NO_FEE_ACCOUNT). */
  add(tokenId: bigint, fee: bigint): void {
    const j = this.tokens.indexOf(tokenId);
    if (j >= 0) this.collected[j]! += fee;
  }

  /**
   * Throws FEE_ACCOUNT_FULL unless every fee slot can still be credited `fees` (the fees collected
   * so far, the current transaction's included) after the transaction just applied: a transaction
   * that pays a fee into a full slot, or a transfer into a fee account that leaves no room for the
   * fees already collected, cannot be part of the batch.
   */
  checkRoom(fees: bigint[], tx: SignedTransfer): void {
    this.feeIdx.forEach((idx, j) => {
      if (idx === 0n) return;
      const balance = this.state.account(idx)!.balance;
      if (balance + fees[j]! > MAX_BALANCE) {
        throw new TxRejectedError(
          "FEE_ACCOUNT_FULL",
          `fee account ${idx} cannot take this batch's fees after transaction ${tx.from} → ${tx.to} (nonce ${tx.nonce}): its balance ${balance} plus fees ${fees[j]} would exceed 2^128 - 1`,
        );
      }
    });
  }

  /** Credits every fee account its slot's fees; returns each slot's leaf witness before (all zero for an unused slot). */
  credit(): LeafWitness[] {
    return this.feeIdx.map((idx, j) => (idx === 0n ? emptyWitness(this.state.params.depth) : this.state.credit(idx, this.collected[j]!)));
  }
}

/**
 * Apply the L1 operations, then up to batchSize transfers and exits to `state` (mutating it),
 * credit the fees, and return the batch's calldata, data commitment, public signals and circuit input.
 * Invalid transactions are left out and reported in `rejected`; they change nothing. Nothing a
 * transaction holds makes this throw (a fee slot that cannot take its fee is a rejection too,
 * FEE_ACCOUNT_FULL): it throws only for a caller's error (too many L1 operations or fee
 * accounts, a fee account that does not exist, two of one token) or an L1 operation that
 * contradicts the queue rules (a state out of sync with L1), and then changes nothing.
 * prepareBatch with the hashing computed here.
 */
export function buildBatch(state: L2State, contents: BatchContents, ctx: BatchContext): Batch {
  return finishHere(state, prepareBatch(state, contents, ctx));
}

/** `prepared` (of `state`) finished with its plan computed here, on this thread; aborted if that throws. */
export function finishHere(state: L2State, prepared: PreparedBatch): Batch {
  let result: TreePlanResult;
  try {
    result = runTreePlan(state.crypto.hash, prepared.plan, state.tree.zeros);
  } catch (e) {
    prepared.abort();
    throw e;
  }
  return prepared.finish(result);
}

/** A batch whose rules are applied and whose Merkle hashing is to be computed (prepareBatch). */
export interface PreparedBatch {
  /** The hashing the batch needs: runTreePlan(plan)'s result is what finish takes. */
  readonly plan: TreePlan;
  /** Transfers included, in order, and those left out with why (known before the hashing). */
  readonly txs: SignedTransfer[];
  readonly rejected: Rejected[];
  /** The batch, once its hashing is computed; the state then holds its tree too. */
  finish(result: TreePlanResult): Batch;
  /** Undoes the batch (its hashing could not be computed): the state is as it was before prepareBatch. */
  abort(): void;
}

/**
 * buildBatch in two steps, so that the hashing can run elsewhere (another thread) meanwhile: the
 * rules and the account changes now, under a checkpoint of its own, with the state's hashing
 * deferred (L2State.deferHashing), then `finish` with the plan's result, or `abort`. Between
 * the two, the state's accounts are the ones after the batch and its tree and root the ones
 * before; nothing may change the state (a read is fine). On a throw the state is as before.
 */
export function prepareBatch(state: L2State, contents: BatchContents, ctx: BatchContext): PreparedBatch {
  const p = ctx.params ?? state.params;
  if (p.depth !== state.params.depth) throw new Error(`a batch of ${p.name} (depth ${p.depth}) on a state of depth ${state.params.depth}`);
  const candidates = contents.txs;
  const l1Ops = contents.l1Ops ?? [];
  if (l1Ops.length > p.l1Slots) throw new Error(`at most ${p.l1Slots} L1 operations per batch, got ${l1Ops.length}`);
  if (ctx.feeIdx.length > p.feeSlots) throw new Error(`at most ${p.feeSlots} fee accounts per batch`);
  const feeIdx = [...ctx.feeIdx, ...Array<bigint>(p.feeSlots - ctx.feeIdx.length).fill(0n)];

  const oldRoot = state.root;
  const cp0 = state.checkpoint();
  try {
    state.deferHashing();
    const l1HashStart = ctx.l1HashStart ?? 0n;
    let l1HashEnd = l1HashStart;
    const l1Results: bigint[] = [];
    const l1Leaves: LeafWitness[] = [];
    let l1To = emptyWitness(p.depth);
    for (const [j, op] of l1Ops.entries()) {
      if (op.kind === L1OpKind.FORCE_TRANSFER && j > 0)
        throw new Error(`a forced transfer can only be a batch's first L1 operation, got one at slot ${j} (l1OpsForBatch)`);
      const { result, leaf, to } = state.applyL1Op(op);
      if (to) l1To = to;
      l1HashEnd = l1ChainStep(state.crypto.hash, l1HashEnd, op);
      l1Results.push(result);
      l1Leaves.push(leaf);
    }
    const zeroOp: L1Op = { kind: 0 as L1Op["kind"], accountIdx: 0n, tokenId: 0n, amount: 0n, owner: 0n, ax: 0n, ay: 0n };
    const l1Slots = [...l1Ops, ...Array<L1Op>(p.l1Slots - l1Ops.length).fill(zeroOp)];
    while (l1Leaves.length < p.l1Slots) l1Leaves.push(emptyWitness(p.depth));

    // Fee accounts may be created by this batch's own L1 operations.
    const fees = new BatchFees(state, feeIdx);
    const feeTokens = fees.feeTokens();

    const slots: TxSlotInput[] = [];
    const txs: SignedTransfer[] = [];
    const rejected: Rejected[] = [];
    const rootsIn: RootRef[] = [];
    for (const tx of candidates) {
      if (slots.length === p.batchSize) break;
      const rootIn = state.rootRef();
      // Each transaction under its own checkpoint: one that leaves a fee slot unable to take the
      // batch's fees is undone and rejected, so the credits below never overflow.
      const cp = state.checkpoint();
      let applied: ReturnType<L2State["applyTransfer"]>;
      try {
        applied = state.applyTransfer(tx, ctx.domain, feeTokens, ctx.signatureOf?.(tx));
        fees.checkRoom(fees.with(applied.sender.account.tokenId, tx.fee), tx);
      } catch (e) {
        state.revert(cp);
        if (!(e instanceof TxRejectedError)) throw e;
        rejected.push({ tx, error: e });
        continue;
      }
      state.commit();
      const { amountF, feeF } = packedAmounts(tx);
      slots.push({ from: tx.from, to: tx.to, amountF, feeF, sig: tx.signature, sender: applied.sender, receiver: applied.receiver });
      rootsIn.push(rootIn);
      txs.push(tx);
      fees.add(applied.sender.account.tokenId, tx.fee);
    }
    const rootAfterTxs = state.rootRef();
    const feeWitnesses = fees.credit();
    const newRootRef = state.rootRef();
    const plan = state.plan;
    let open = true;
    const close = () => {
      if (!open) throw new Error("this prepared batch was already finished or aborted");
      open = false;
    };
    return {
      plan,
      txs,
      rejected,
      abort: () => {
        close();
        state.revert(cp0);
      },
      finish: (result) => {
        close();
        try {
          state.finishHashing(result);
        } catch (e) {
          state.revert(cp0);
          throw e;
        }
        state.commit();
        const newRoot = newRootRef.value!;
        const txRootsIn = rootsIn.map((r) => r.value!);
        while (txRootsIn.length < p.batchSize) txRootsIn.push(rootAfterTxs.value!);
        const pad = emptyWitness(p.depth);
        while (slots.length < p.batchSize) {
          slots.push({ from: 0n, to: 0n, amountF: 0n, feeF: 0n, sig: PADDING_SIGNATURE, sender: pad, receiver: pad });
        }
        // The posted form without its commitment (0 is a field element), then the commitment to it.
        const posted = encodeBatchData({ newRoot, l1Results, feeIdx, txs, commitment: 0n }, p);
        const pub = computePublicInputs(
          { ...posted, oldRoot, chainId: ctx.domain.chainId, rollupAddress: ctx.domain.rollupAddress, l1HashEnd },
          p,
          state.crypto.hash,
        );
        const data: BatchData = { ...posted, commitment: pub.commitment };
        const circuitInput = circuitInputOf({
          challenge: pub.challenge,
          oldRoot,
          newRoot,
          domain: ctx.domain,
          l1HashStart,
          l1Count: l1Ops.length,
          l1Slots,
          l1Leaves,
          l1To,
          feeIdx,
          slots,
          feeLeaves: feeWitnesses,
        });
        return { oldRoot, data, l1Ops, l1Results, l1HashEnd, txs, rejected, feeIdx, fees: fees.fees, publicSignals: pub.signals, circuitInput, txRootsIn };
      },
    };
  } catch (e) {
    state.revert(cp0);
    throw e;
  }
}

/**
 * Applies a batch as posted on L1 to `state`: its L1 operations (`ops`, the ones it consumes, in
 * queue order) with their posted results, then its transfers and exits, then its fees — the
 * state changes buildBatch made, from the posted data alone (no signatures or nonces: the proof
 * established them). Throws, naming batch `number`, unless the data decodes for the instance, it
 * starts from the state's root, every L1 result is the one posted and it ends at its posted root.
 * `onTx` sees each transfer with the nonce it used (the sender's nonce before it); `params`: the instance it was posted for (the fallback's for a fallback batch). Used to
 * rebuild the state from L1 and to follow batches another submitter posted.
 */
export function applyBatchData(
  state: L2State,
  b: { number: bigint | number; oldRoot: bigint; data: BatchData },
  ops: readonly QueuedL1Op[],
  onTx?: (t: Transfer) => void,
  params: DerivedParams = state.params,
): void {
  const name = `batch ${b.number}`;
  if (b.oldRoot !== state.root) throw new Error(`${name} starts from root ${b.oldRoot}, rebuilt state has ${state.root}`);
  if (params.depth !== state.params.depth)
    throw new Error(`${name}: posted for ${params.name} (depth ${params.depth}), the state has depth ${state.params.depth}`);
  let posted: DecodedBatchData;
  try {
    posted = decodeBatchData(b.data, params);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
  }
  posted.l1Results.forEach((result, i) => {
    const op = ops[i];
    if (!op) throw new Error(`${name} consumes ${b.data.l1Count} L1 operations, ${ops.length} have events`);
    const applied = state.applyL1Op(op).result;
    if (applied !== result) throw new Error(`${name}: L1 operation ${op.queueIndex} result ${result} posted, ${applied} rebuilt`);
  });
  let fees: BatchFees;
  try {
    fees = new BatchFees(state, posted.feeIdx);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
  }
  for (const t of posted.txs) {
    const sender = state.account(t.from);
    onTx?.({ ...t, nonce: sender?.nonce ?? 0n });
    state.applyPosted(t);
    fees.add(sender!.tokenId, t.fee);
  }
  fees.credit();
  if (state.root !== b.data.newRoot) throw new Error(`${name}: rebuilt root ${state.root} differs from the posted root ${b.data.newRoot}`);
}
