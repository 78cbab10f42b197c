// The child process of test/sequencer/ledger.test.ts's kill -9 test (not a test file itself):
// opens the sequencer database given as its argument (the state of its last final batch, the live
// batches replayed), then commits batches in a loop until it is killed — each batch two L1
// operations (creations up to 200 accounts, then deposits) and a transfer, included at once and
// final two batches later, as the Ledger does it: the state of the batch written with its final
// status in one transaction. Prints "ready <batch the stored state is of>" once open and
// "final <last final batch>" after each commit returned (stdout to a pipe is synchronous: a line
// read is a commit made). With ZKR_DIE_IN_COMMIT=1 it kills itself with SIGKILL inside the first
// transaction that marks a batch final, every statement of it run, just before its COMMIT.
import { loadCrypto } from "../../src/model/crypto.js";
import { L2Key } from "../../src/model/keys.js";
import { L1OpKind, type L1Op } from "../../src/model/l1op.js";
import { signTransfer } from "../../src/model/tx.js";
import { SequencerStore } from "../../src/sequencer/store.js";
import { domain, params, Rig } from "./ledgerrig.js";

const crypto = await loadCrypto();
const key = await L2Key.fromPrivateKey("0x" + "11".repeat(32));
const store = new SequencerStore(process.argv[2]!);
if (process.env.ZKR_DIE_IN_COMMIT === "1") {
  let finalising = false;
  const setBatchFinal = store.setBatchFinal.bind(store);
  store.setBatchFinal = (n, now) => {
    finalising = true;
    console.log(`dying in the commit of batch ${n}`);
    setBatchFinal(n, now);
  };
  const exec = store.db.exec.bind(store.db);
  store.db.exec = (sql: string) => {
    if (sql === "COMMIT" && finalising) process.kill(process.pid, "SIGKILL");
    exec(sql);
  };
}
const r = new Rig(crypto, store).open();
for (const f of r.ledger.sorted()) if (f.record.status !== "included") r.include(f.record.number);
console.log(`ready ${r.ledger.storedAsOf}`);
let seed = Number(r.store.lastBatch()?.number ?? 0);
const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
for (;;) {
  const nextIndex = r.state.nextIndex + BigInt(r.store.l1OpCount() - r.ledger.nextL1);
  const ops: L1Op[] = [0n, 1n].map((i) =>
    nextIndex + i < 200n
      ? { kind: L1OpKind.CREATE, accountIdx: nextIndex + i, tokenId: 0n, amount: 100n, owner: 0xabcn, ax: key.ax, ay: key.ay }
      : { kind: L1OpKind.DEPOSIT, accountIdx: BigInt(1 + next(20)), tokenId: 0n, amount: 50n, owner: 0xabcn, ax: 0n, ay: 0n },
  );
  r.queue(ops);
  if (r.pool.size === 0 && r.state.size >= 2) {
    const nonce = r.state.account(1n)!.nonce;
    r.submit(signTransfer(crypto.hash, key, { from: 1n, to: BigInt(2 + next(r.state.size - 1)), amount: 1n, fee: 0n, nonce }, domain, params));
  }
  const n = (await r.build()).record.number;
  r.include(n);
  r.finalUpTo(n - 2);
  console.log(`final ${r.store.lastFinalBatch(Number.MAX_SAFE_INTEGER)?.number ?? 0}`);
}
