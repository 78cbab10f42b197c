// The L1 gas figures of snapshots/gas.json: measured by test/contracts/Gas.test.ts (the one place
// that measures them, and checks them against the snapshot in every test run), run here with
// ZKR_GAS_FIGURES naming a file it writes its figures to instead of checking them.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { verifierContractName } from "../src/proving/verifier.js";
import { REPO_ROOT } from "../src/util/paths.js";
import { TEST_INSTANCE } from "../src/proving/instances.js";
import { buildContracts, setupInstance } from "../src/proving/setup.js";

const run = promisify(execFile);

export async function measureGasFigures(log: (m: string) => void = () => {}): Promise<Record<string, number>> {
  // The fixed cost with the real verifier needs the test instance's generated verifier (cached setup).
  await setupInstance(TEST_INSTANCE, { log });
  await buildContracts();
  const dir = mkdtempSync(path.join(os.tmpdir(), "zkr-gas-"));
  try {
    const out = path.join(dir, "figures.json");
    const mocha = path.join(REPO_ROOT, "node_modules", "mocha", "bin", "mocha.js");
    const r = await run(process.execPath, [mocha, "test/contracts/Gas.test.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, ZKR_GAS_FIGURES: out },
      maxBuffer: 64 << 20,
    });
    log(r.stdout.trimEnd());
    const figures = JSON.parse(readFileSync(out, "utf8")) as Record<string, number>;
    if (!Object.keys(figures).some((k) => k.includes("real verifier")))
      throw new Error(`no real-verifier figure: ${verifierContractName(TEST_INSTANCE)} was not built`);
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
