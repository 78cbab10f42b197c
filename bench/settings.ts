// The benchmarks start as bin/zkr does: the process-wide settings applied ($ZKR_CACHE, by
// src/cli/config.ts, the one place configuration is read) and the development ptau of setups
// made here ($ZKR_DEV_PTAU) handed to them.
import { applyProcessSettings, Config } from "../src/cli/config.js";

export function benchSettings(): { devPtau?: string } {
  applyProcessSettings();
  return { devPtau: Config.resolve({}, ["devPtau"]).devPtau };
}
