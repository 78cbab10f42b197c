// The child process of test/sequencer/admission.test.ts's kill -9 test (not a test file itself):
// opens the sequencer database given as its argument (on the first start it creates accounts
// 1..8 of the keys acceptKey(0..7) in batches), then serves POST / over HTTP with the real
// Admission (signatures on a worker pool, group commit) and answers 202 once a transfer is on
// disk, while building batches every few milliseconds, until it is killed. Prints "ready <port>".
// With ZKR_DIE_IN_FLUSH=1 it kills itself with SIGKILL inside its third group commit, every
// INSERT of it run, just before its COMMIT.
import http from "node:http";
import { loadCrypto } from "../../src/model/crypto.js";
import { L2Key } from "../../src/model/keys.js";
import { L1OpKind } from "../../src/model/l1op.js";
import { SignatureVerifierPool } from "../../src/proving/signaturePool.js";
import { Admission, SubmitError } from "../../src/sequencer/admission.js";
import { SequencerStore } from "../../src/sequencer/store.js";
import { params, Rig } from "./ledgerrig.js";

/** The keys of accounts 1..8 (the test signs with the same: private key byte i + 1, 32 times). */
const acceptKey = (i: number) => L2Key.fromPrivateKey("0x" + (i + 1).toString(16).padStart(2, "0").repeat(32));
const ACCOUNTS = 8;

{
  const crypto = await loadCrypto();
  const store = new SequencerStore(process.argv[2]);
  if (process.env.ZKR_DIE_IN_FLUSH === "1") {
    let flushes = 0;
    const flush = store.flush.bind(store);
    store.flush = () => {
      if (store.queuedCount > 0) flushes++;
      flush();
    };
    const exec = store.db.exec.bind(store.db);
    store.db.exec = (sql: string) => {
      if (sql === "COMMIT" && flushes === 3 && !store.inTransaction) process.kill(process.pid, "SIGKILL");
      exec(sql);
    };
  }
  const pool = await SignatureVerifierPool.create({ threads: 2 });
  const late: { admission?: Admission } = {}; // the planner reads admission's checks; admission needs the rig's ledger and pool
  const r = new Rig(crypto, store, { signatureOf: (tx) => late.admission?.signatureOf(tx) }).open();
  if (r.state.size === 0) {
    const keys = await Promise.all(Array.from({ length: ACCOUNTS }, (_, i) => acceptKey(i)));
    r.queue(keys.map((k, i) => ({ kind: L1OpKind.CREATE, accountIdx: BigInt(i + 1), tokenId: 0n, amount: 10n ** 12n, owner: 0xa1n, ax: k.ax, ay: k.ay })));
    while (r.state.size < ACCOUNTS) await r.build();
  }
  const admission = (late.admission = new Admission({
    crypto,
    params,
    store,
    ledger: r.ledger,
    pool: r.pool,
    feeIdx: [],
    maxPending: 100_000,
    maxPendingPerSender: 100_000,
    minFee: () => 0n,
    verifySignatures: (c) => pool.verify(c),
  }));
  let building = false;
  setInterval(() => {
    if (building) return;
    building = true;
    void r.planner.buildDue().then((b) => {
      if (b && b !== "rejected") r.ledger.track(b.record, b.batch, b.cp);
      building = false;
    });
  }, 5);
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      admission.submit(JSON.parse(body)).then(
        (rec) => res.writeHead(202).end(rec.id),
        (e: unknown) => res.writeHead(e instanceof SubmitError ? e.status : 500).end(e instanceof SubmitError ? e.code : String(e)),
      );
    });
  });
  server.listen(0, "127.0.0.1", () => console.log(`ready ${(server.address() as { port: number }).port}`));
}
