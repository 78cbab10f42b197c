// sendAndWait (src/chain/send.ts), the one "send, wait, decode the revert": the receipt of a mined
// transaction, a TxRevertedError naming the custom error of a revert at sending or mining, one
// for a receipt with status 0, and every other failure passed through untouched.
import { expect } from "chai";
import { Interface, type TransactionReceipt } from "ethers";
import { sendAndWait, type SentTx, TxRevertedError } from "../../src/chain/send.js";
import { rejection as failure } from "../proving/fixtures.js";

const iface = new Interface(["error TooManyL1Ops(uint256 count, uint256 queued)", "error NotSequencer()"]);
/** An ethers-like revert error carrying the encoded custom error where ethers puts it. */
const reverted = (data: string) => Object.assign(new Error("execution reverted"), { code: "CALL_EXCEPTION", data });
const receipt = (status: number) => ({ hash: "0xabc", status }) as unknown as TransactionReceipt;

function tx(wait: () => Promise<TransactionReceipt | null>, seen?: unknown[]): SentTx {
  return {
    hash: "0xabc",
    wait: (confirms, timeout) => {
      seen?.push([confirms, timeout]);
      return wait();
    },
  };
}

describe("sendAndWait: send, wait, decode the revert", () => {
  it("returns the receipt, calling onSent with the transaction before waiting, with the confirmations and timeout given", async () => {
    const events: unknown[] = [];
    const r = await sendAndWait(async () => tx(async () => receipt(1), events), iface, {
      what: "x",
      confirms: 2,
      timeoutMs: 500,
      onSent: (t) => events.push(t.hash),
    });
    expect(r.status).to.equal(1);
    expect(events).to.deep.equal(["0xabc", [2, 500]]);
    await sendAndWait(async () => tx(async () => receipt(1), events), iface, { what: "x" });
    expect(events.at(-1)).to.deep.equal([1, undefined]);
  });

  it("a revert at sending (gas estimation) or while mined: TxRevertedError naming the custom error, the original as its cause", async () => {
    const data = iface.encodeErrorResult("TooManyL1Ops", [3n, 2n]);
    for (const send of [() => Promise.reject(reverted(data)), async () => tx(() => Promise.reject({ error: { data } }))]) {
      const e = await failure(sendAndWait(send, iface, { what: "submitBatch" }));
      expect(e).to.be.instanceOf(TxRevertedError);
      expect((e as TxRevertedError).message).to.equal("submitBatch reverted: TooManyL1Ops(3, 2)");
      expect((e as TxRevertedError).revert).to.equal("TooManyL1Ops(3, 2)");
      expect((e as TxRevertedError).code).to.equal("CALL_EXCEPTION");
      expect((e as TxRevertedError).cause).to.not.equal(undefined);
    }
  });

  it("a receipt with status 0 (or none): TxRevertedError with the receipt", async () => {
    const e = (await failure(sendAndWait(async () => tx(async () => receipt(0)), iface, { what: "deploying Rollup" }))) as TxRevertedError;
    expect(e).to.be.instanceOf(TxRevertedError);
    expect(e.message).to.equal("deploying Rollup failed (transaction 0xabc)");
    expect(e.revert).to.equal(undefined);
    expect(e.receipt?.status).to.equal(0);
    const none = (await failure(sendAndWait(async () => tx(async () => null), iface, { what: "w" }))) as TxRevertedError;
    expect(none.message).to.equal("w failed (transaction undefined)");
  });

  it("passes every other failure through as it is: a node error, a revert of another contract's error, a timeout", async () => {
    const network = Object.assign(new Error("connect ECONNREFUSED"), { code: "NETWORK_ERROR" });
    expect(await failure(sendAndWait(() => Promise.reject(network), iface, { what: "x" }))).to.equal(network);
    const foreign = reverted(new Interface(["error Other(uint8)"]).encodeErrorResult("Other", [1]));
    expect(await failure(sendAndWait(() => Promise.reject(foreign), iface, { what: "x" }))).to.equal(foreign);
    const timeout = Object.assign(new Error("wait for transaction timeout"), { code: "TIMEOUT" });
    expect(await failure(sendAndWait(async () => tx(() => Promise.reject(timeout)), iface, { what: "x" }))).to.equal(timeout);
  });
});
