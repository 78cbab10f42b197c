import { createHash } from "node:crypto";
import { expect } from "chai";
import type { BaseContract, ContractTransactionReceipt, ContractTransactionResponse, Interface } from "ethers";
import { revertData } from "../../src/chain/reverts.js";

/**
 * Asserts that `action` reverts with the custom error `name` of `target`'s ABI and, if given,
 * exactly these arguments. Returns the decoded arguments.
 */
export async function expectRevert(
  action: Promise<unknown>,
  target: BaseContract | { interface: Interface },
  name: string,
  args?: unknown[],
): Promise<unknown[]> {
  let error: unknown;
  try {
    await action;
  } catch (e) {
    error = e;
  }
  if (error === undefined) expect.fail(`expected a revert with ${name}, but the call succeeded`);
  const data = revertData(error);
  if (data === undefined) expect.fail(`expected a revert with ${name}, got an error without revert data: ${error}`);
  const parsed = target.interface.parseError(data);
  if (!parsed) expect.fail(`expected a revert with ${name}, got unknown revert data ${data}`);
  expect(parsed.name, "custom error").to.equal(name);
  const decoded = [...parsed.args];
  if (args !== undefined) expect(decoded, `${name} arguments`).to.deep.equal(args);
  return decoded;
}

/** Sends a transaction and waits for a successful receipt. */
export async function mined(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) expect.fail("transaction failed");
  return receipt;
}

/** Asserts that `receipt` holds exactly one `name` event from `contract`, with exactly `args`. */
export function expectEvent(
  receipt: { logs: readonly { address: string; topics: readonly string[]; data: string }[] },
  contract: BaseContract & { target: unknown },
  name: string,
  args: unknown[],
): void {
  const matches = receipt.logs
    .filter((log) => log.address.toLowerCase() === String(contract.target).toLowerCase())
    .map((log) => contract.interface.parseLog(log))
    .filter((ev) => ev?.name === name);
  expect(matches, `${name} events`).to.have.length(1);
  expect([...matches[0]!.args], `${name} arguments`).to.deep.equal(args);
}

/** Deterministic pseudo-random bytes (sha256 in counter mode): reproducible test data. */
export function seededBytes(seed: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0, block = 0; i < length; block++) {
    const chunk = createHash("sha256").update(`${seed}/${block}`).digest();
    out.set(chunk.subarray(0, Math.min(32, length - i)), i);
    i += 32;
  }
  return out;
}

/** A deterministic pseudo-random integer below `bound`. */
export function seededBelow(seed: string, bound: bigint): bigint {
  const x = BigInt("0x" + Buffer.from(seededBytes(seed, 64)).toString("hex"));
  return x % bound;
}

/**
 * Gas a transaction spent inside calls at depth 2 (the contracts its target called, not
 * precompiles), from an opcode trace: what the target's own cost excludes.
 */
export async function nestedCallGas(provider: { send(method: string, params: unknown[]): Promise<unknown> }, txHash: string): Promise<bigint> {
  const trace = (await provider.send("debug_traceTransaction", [txHash, { disableStorage: true, disableMemory: true, disableStack: true }])) as {
    structLogs: { depth: number; gas: number; gasCost: number }[];
  };
  let total = 0n;
  let entryGas: number | undefined;
  const steps = trace.structLogs;
  steps.forEach((step, i) => {
    if (step.depth !== 2) return;
    entryGas ??= step.gas;
    if (steps[i + 1]?.depth !== 2) {
      total += BigInt(entryGas - (step.gas - step.gasCost));
      entryGas = undefined;
    }
  });
  return total;
}
