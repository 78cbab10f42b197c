// A rollup deployed (by the code `zkr deploy` runs) on a `hardhat node` that mines only on
// transactions (so a test decides when blocks come, and so when batches become final), a real
// `zkr sequencer` process on it, two funded accounts (#1 alice, #2 bob), and the L1 tools the
// reorganisation tests need: evm_snapshot / evm_revert, mining, deposits, signed transfers over
// HTTP and their statuses. Deployment and deposits run in the test process (they are not what
// is tested, and each zkr process costs seconds of start-up).
import { expect } from "chai";
import path from "node:path";
import { JsonRpcProvider, Network, parseEther, Wallet } from "ethers";
import type { LocalChain } from "../../src/ops/index.js";
import { loadCrypto } from "../../src/model/crypto.js";
import { DEV_POLICY, type RollupContract, rollupAt } from "../../src/chain/deploy.js";
import { L2Key } from "../../src/model/keys.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import { type SignedTransfer, signTransfer, transferToJSON } from "../../src/model/tx.js";
import { Background, freePort, zkrEnv, zkrOk } from "../cli/helpers.js";
import { deploy, devAccount, queuedOp, writeDeployment } from "../../src/ops/index.js";

export const params = getInstance(TEST_INSTANCE);

export interface TxState {
  id: string;
  status: string;
  reason: string | null;
  batch: number | null;
}

/** Test-side access to the chain: snapshots, reverts, blocks. */
export class Chain {
  readonly provider: JsonRpcProvider;
  constructor(readonly local: LocalChain) {
    this.provider = new JsonRpcProvider(local.url, Network.from(31337n), { staticNetwork: true, cacheTimeout: -1 });
  }
  snapshot(): Promise<string> {
    return this.provider.send("evm_snapshot", []);
  }
  /** Reverts to `snap` (as a reorganisation does), then mines `regrow` blocks on the new branch. */
  async revert(snap: string, regrow: number): Promise<void> {
    expect(await this.provider.send("evm_revert", [snap])).to.equal(true);
    if (regrow > 0) await this.mine(regrow);
  }
  async mine(n = 1): Promise<void> {
    await this.provider.send("hardhat_mine", ["0x" + n.toString(16)]);
  }
  head(): Promise<number> {
    return this.provider.getBlockNumber();
  }
  close(): void {
    this.provider.destroy();
  }
}

export interface World {
  name: string;
  api: string;
  operator: NodeJS.ProcessEnv;
  /** A deposit of `eth` ETH by development account `i` into a new account of `key`; resolves once mined with the amount credited. */
  deposit(i: number, key: L2Key, eth: string): Promise<bigint>;
  /** A forced exit of account `idx` by its owner, development account `i`. */
  forceExit(i: number, idx: bigint): Promise<void>;
  /** What alice's and bob's deposits credited. */
  funded: { alice: bigint; bob: bigint };
  sequencer: Background;
  seqCmd: string[];
  rollup: ReturnType<typeof rollupAt>;
  keys: { alice: L2Key; bob: L2Key };
  /** A transfer of `amount` wei signed by `from` (fee 0). */
  sign(from: L2Key, t: { from: bigint; to: bigint; amount: bigint; nonce: bigint }): SignedTransfer;
  /** Signs a transfer and posts it; returns its id (202 expected). */
  send(from: L2Key, t: { from: bigint; to: bigint; amount: bigint; nonce: bigint }): Promise<string>;
  tx(id: string): Promise<TxState>;
  status(): Promise<
    Record<string, unknown> & {
      stateRoot: string;
      batches: { total: number; included: number; final: number };
      reconciliations: { count: number; last?: Record<string, unknown> };
    }
  >;
  /** Polls until `id` has `status` (mining a block per poll if `mine`); throws on rejected or timeout. */
  waitTx(id: string, status: string, opts?: { mine?: boolean; timeoutMs?: number }): Promise<TxState>;
  /** `zkr rebuild --json` through the chain: the state rebuilt from L1 alone. */
  rebuild(): Promise<{ matches: boolean; root: string; onChainRoot: string; batches: number; accounts: { index: string; ax: string; balance: string }[] }>;
}

/**
 * Deploys a rollup, starts `zkr sequencer` on it with `seqArgs` (its output collected), funds
 * alice (#1) and bob (#2) with 10 ETH each and waits until that batch is final.
 */
export async function newWorld(
  chain: Chain,
  dir: string,
  name: string,
  seqArgs: string[],
  start: (b: Background) => void,
  opts: { rpc?: string } = {},
): Promise<World> {
  const apiPort = await freePort();
  const api = `http://127.0.0.1:${apiPort}`;
  const envOf = (key: string, wallet: string) =>
    zkrEnv({
      ZKR_RPC: opts.rpc ?? chain.local.url,
      ZKR_SEQUENCER: api,
      ZKR_DEPLOYMENT: path.join(dir, `${name}.json`),
      ZKR_WALLET: path.join(dir, `${name}-${wallet}.json`),
      ZKR_KEY: key,
    });
  const operator = envOf(devAccount(0).privateKey, "operator");
  const signer = new Wallet(devAccount(0).privateKey, chain.provider);
  const d = await deploy({ signer, chainId: 31337n, rpc: chain.local.url, instance: params.name, policy: DEV_POLICY, log: () => {} });
  writeDeployment(path.join(dir, `${name}.json`), d, true);
  const seqCmd = ["sequencer", "--port", String(apiPort), "--db", path.join(dir, `${name}.sqlite`), "--batch-timeout", "300", ...seqArgs];
  const sequencer = new Background(seqCmd, operator);
  start(sequencer);
  await sequencer.waitFor(/API on http/, 120_000);
  const rollup = rollupAt(d.rollup, chain.provider);
  const as = (i: number) => rollupAt(d.rollup, new Wallet(devAccount(i).privateKey, chain.provider));
  const fee = await l1OpFee(rollup);
  const deposit = async (i: number, key: L2Key, eth: string) => {
    const r = await (await as(i).depositETH(key.ax, key.ay, { value: parseEther(eth) + fee })).wait();
    expect(r?.status).to.equal(1);
    return queuedOp(rollup, r!).amount;
  };
  const forceExit = async (i: number, idx: bigint) => {
    expect((await (await as(i).forceExit(idx, { value: fee })).wait())?.status).to.equal(1);
  };
  const keys = { alice: await L2Key.random(), bob: await L2Key.random() };
  const funded = { alice: await deposit(1, keys.alice, "10"), bob: await deposit(2, keys.bob, "10") };
  const crypto = await loadCrypto();
  const domain = { chainId: BigInt(d.chainId), rollupAddress: BigInt(d.rollup) };
  const get = async <T>(p: string) => (await (await fetch(api + p)).json()) as T;
  const w: World = {
    name,
    api,
    operator,
    deposit,
    forceExit,
    funded,
    sequencer,
    seqCmd,
    rollup,
    keys,
    sign: (from, t) => signTransfer(crypto.hash, from, { ...t, fee: 0n }, domain, params),
    async send(from, t) {
      const tx = w.sign(from, t);
      const r = await fetch(`${api}/v1/txs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(transferToJSON(tx)) });
      expect(r.status, await r.clone().text()).to.equal(202);
      return ((await r.json()) as { id: string }).id;
    },
    tx: (id) => get<TxState>(`/v1/txs/${id}`),
    status: () => get(`/v1/status`),
    async waitTx(id, status, opts = {}) {
      const t0 = Date.now();
      for (;;) {
        const t = await w.tx(id);
        if (t.status === status) return t;
        if (t.status === "rejected") throw new Error(`transaction ${id} was rejected: ${t.reason}\n${sequencer.output}`);
        if (Date.now() - t0 > (opts.timeoutMs ?? 300_000))
          throw new Error(`transaction ${id} is ${t.status}, not ${status}, after ${opts.timeoutMs ?? 300_000} ms\n${sequencer.output}`);
        if (opts.mine) await chain.mine();
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    async rebuild() {
      return JSON.parse(await zkrOk(["rebuild", "--json"], { ...operator, ZKR_RPC: chain.local.url }));
    },
  };
  // Both deposits in batch 1 (or 1 and 2); final once mined deep enough.
  await pollUntil(
    async () => (await rollup.l1Processed()) === 2n,
    300_000,
    () => sequencer.output,
  );
  await pollUntil(
    async () => {
      await chain.mine();
      const s = await w.status();
      return s.batches.total > 0 && s.batches.final === s.batches.total;
    },
    120_000,
    () => sequencer.output,
  );
  return w;
}

/**
 * The rollup's fee per L1 operation, paid in msg.value on top of a deposit (0 for a rollup
 * without one), so that these tests run unchanged against either Rollup.
 */
export async function l1OpFee(rollup: RollupContract): Promise<bigint> {
  return rollup.interface.getFunction("l1OpFee") ? ((await rollup.getFunction("l1OpFee")()) as bigint) : 0n;
}

/** Resolves with the first match of `re` in `b`'s output after position `from` (an output length taken earlier). */
export async function outputAfter(b: Background, from: number, re: RegExp, ms: number): Promise<RegExpMatchArray> {
  const t0 = Date.now();
  for (;;) {
    const m = b.output.slice(from).match(re);
    if (m) return m;
    if (b.child.exitCode !== null) throw new Error(`process exited before printing ${re}:\n${b.output}`);
    if (Date.now() - t0 > ms) throw new Error(`no ${re} within ${ms} ms:\n${b.output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `done` every 300 ms; throws with `context()` after `ms`. */
export async function pollUntil(done: () => Promise<boolean>, ms: number, context: () => string = () => ""): Promise<void> {
  const t0 = Date.now();
  while (!(await done())) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms\n${context()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * The end state every recovery test checks: everything final (mining while waiting), no
 * transaction pending, every L1 operation consumed, and one root everywhere — the sequencer's,
 * the rollup's on L1, and the one `zkr rebuild` computes from L1 data alone. `b`: the sequencer
 * process now running (after a restart, not the world's first one).
 */
export async function expectConsistent(chain: Chain, w: World, b: Background = w.sequencer): Promise<Awaited<ReturnType<World["rebuild"]>>> {
  await pollUntil(
    async () => {
      await chain.mine();
      const s = await w.status();
      return (
        s.batches.final === s.batches.total &&
        (s.txs as Record<string, number>).pending === 0 &&
        (await w.rollup.l1Processed()) === (await w.rollup.l1OpCount())
      );
    },
    300_000,
    () => b.output,
  );
  const s = await w.status();
  expect(s.stateRoot).to.equal((await w.rollup.stateRoot()).toString());
  expect(await w.rollup.batchNumber()).to.equal(BigInt(s.batches.final));
  const r = await w.rebuild();
  expect(r.matches).to.equal(true);
  expect(r.root).to.equal(s.stateRoot);
  expect(b.output).to.not.match(/differs from the root on L1/);
  if (process.env.ZKR_VERBOSE) console.log(b.output);
  return r;
}

/** The account at `index` in a rebuild, or undefined. */
export function accountIn(r: Awaited<ReturnType<World["rebuild"]>>, index: number) {
  return r.accounts.find((a) => a.index === String(index));
}
