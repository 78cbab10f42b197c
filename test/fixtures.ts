// Shared, memoized test fixtures: the test instance's Groth16 setup (cached on disk outside
// the repository), compiled contracts, and the in-process Hardhat network.
import type { NetworkConnection } from "hardhat/types/network";
import { fallbackOf, getInstance, TEST_INSTANCE } from "../src/proving/instances.js";
import { buildContracts, setupInstance, type SetupResult } from "../src/proving/setup.js";

let setupP: Promise<SetupResult> | undefined;

/** Setup of the test instance (minutes on a cold cache, instant after) with its verifier compiled. */
export function testSetup(): Promise<SetupResult> {
  return (setupP ??= (async () => {
    const r = await setupInstance(TEST_INSTANCE, { log: process.env.ZKR_VERBOSE ? (m) => console.log(`    ${m}`) : undefined });
    await buildContracts();
    return r;
  })());
}

let fallbackP: Promise<SetupResult> | undefined;

/** Setup of the test instance's fallback instance (test_d4_b1), with its verifier compiled. */
export function fallbackSetup(): Promise<SetupResult> {
  return (fallbackP ??= (async () => {
    const r = await setupInstance(fallbackOf(getInstance(TEST_INSTANCE)).name, {
      log: process.env.ZKR_VERBOSE ? (m) => console.log(`    ${m}`) : undefined,
    });
    await buildContracts();
    return r;
  })());
}

let connP: Promise<NetworkConnection> | undefined;

/** One in-process Hardhat network for the whole test run. */
export function hardhat(): Promise<NetworkConnection> {
  return (connP ??= import("hardhat").then(({ network }) => network.connect()));
}
