// Tokens of the rollup: ids with their ERC-20 contract, symbol and decimals (looked up on L1 only
// when a token other than ETH comes up), and registering an ERC-20 under the next id.
import { Contract, type ContractRunner, getAddress, type Provider, type TransactionReceipt, ZeroAddress } from "ethers";
import { formatAmount, parseAmount } from "../util/amounts.js";
import { type RollupConnection, sendTx } from "./connect.js";

export interface TokenInfo {
  id: bigint;
  symbol: string;
  decimals: number;
  /** ERC-20 contract; the zero address for ETH. */
  address: string;
}

const ETH_TOKEN: TokenInfo = { id: 0n, symbol: "ETH", decimals: 18, address: ZeroAddress };

const ERC20_ABI = [
  "function decimals() view returns (uint8)",
  "function symbol() view returns (string)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 amount) returns (bool)",
];

export function erc20At(address: string, runner: ContractRunner): Contract {
  return new Contract(address, ERC20_ABI, runner);
}

/**
 * Token ids, their symbols and decimals, looked up on L1 only when a token other than ETH
 * comes up (so code that only talks to the sequencer needs no L1 for ETH amounts).
 */
export class Tokens {
  private readonly cache = new Map<bigint, Promise<TokenInfo>>([[0n, Promise.resolve(ETH_TOKEN)]]);

  constructor(private readonly l1: () => Promise<Pick<RollupConnection, "rollup" | "provider">>) {}

  info(id: bigint): Promise<TokenInfo> {
    let p = this.cache.get(id);
    if (!p) {
      p = this.lookup(id);
      this.cache.set(id, p);
    }
    return p;
  }

  async format(id: bigint, amount: bigint): Promise<string> {
    const t = await this.info(id);
    return `${formatAmount(amount, t.decimals)} ${t.symbol}`;
  }

  async parse(id: bigint, text: string, what = "amount"): Promise<bigint> {
    return parseAmount(text, (await this.info(id)).decimals, what);
  }

  private async lookup(id: bigint): Promise<TokenInfo> {
    const { rollup, provider } = await this.l1();
    const address = await rollup.tokenAddress(id);
    if (address === ZeroAddress) throw new Error(`token ${id} is not registered on the rollup (ids 0..${(await rollup.tokenCount()) - 1n})`);
    const erc20 = erc20At(address, provider);
    let decimals: number;
    try {
      decimals = Number(await erc20.decimals!());
    } catch {
      throw new Error(`token ${id} (${address}) has no decimals(): amounts cannot be converted`);
    }
    const symbol = await erc20.symbol!().then(String, () => `token${id}`);
    return { id, symbol, decimals, address };
  }
}

/** The decimals of an ERC-20 that need not be registered yet (e.g. to read its minimum deposit in its units). */
export async function erc20Decimals(provider: Provider, token: string): Promise<number> {
  if ((await provider.getCode(token)) === "0x") throw new Error(`no contract at ${token}`);
  try {
    return Number(await erc20At(token, provider).getFunction("decimals")());
  } catch {
    throw new Error(`${token} has no decimals(): not an ERC-20 zkr can convert amounts of`);
  }
}

export interface RegisteredToken {
  tokenId: bigint;
  address: string;
  minDeposit: bigint;
  receipt: TransactionReceipt;
}

/**
 * Registers the ERC-20 at `token` on the rollup under the next token id (the deployer only),
 * with its smallest deposit in base units (deposits below it are refused, so dust accounts
 * cannot fill the tree).
 */
export async function registerToken(c: RollupConnection, token: string, minDeposit: bigint): Promise<RegisteredToken> {
  const address = getAddress(token);
  if (minDeposit === 0n || minDeposit >= 1n << 128n) throw new Error(`the minimum deposit must be more than 0 and below 2^128 base units, got ${minDeposit}`);
  const r = await sendTx("registerToken", c.rollup.interface, () => c.rollup.registerToken(address, minDeposit));
  const ev = r.logs.map((lg) => c.rollup.interface.parseLog(lg)).find((p) => p?.name === "TokenRegistered");
  if (!ev) throw new Error(`transaction ${r.hash} registered no token`);
  return { tokenId: BigInt(ev.args.tokenId), address, minDeposit, receipt: r };
}
