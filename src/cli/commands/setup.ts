import { Command } from "commander";
import { getInstance, TEST_INSTANCE } from "../../proving/instances.js";
import { buildContracts, setupInstance } from "../../proving/setup.js";
import { Config } from "../config.js";

export function setupCommand(): Command {
  return new Command("setup")
    .description(
      "DEVELOPMENT setup: compile a circuit instance, run the Groth16 setup with a single phase-2 contribution made here, export its verifier (cached); production keys come from `zkr ceremony`",
    )
    .option("-i, --instance <name>", "circuit instance from circuits/instances.json", TEST_INSTANCE)
    .option("--ptau <file>", "ceremony powers-of-tau file (without it: an insecure development ptau)")
    .option("--ptau-sha256 <hex>", "sha256 the ceremony ptau must have")
    .option("--json", "print the setup manifest as JSON")
    .action(async (o: { instance: string; ptau?: string; ptauSha256?: string; json?: boolean }) => {
      getInstance(o.instance);
      if (Boolean(o.ptau) !== Boolean(o.ptauSha256)) throw new Error("--ptau and --ptau-sha256 go together");
      const log = o.json ? () => {} : (m: string) => console.error(m);
      const { devPtau } = Config.resolve({}, ["devPtau"]);
      const r = await setupInstance(o.instance, { ptau: o.ptau ? { path: o.ptau, sha256: o.ptauSha256! } : undefined, devPtau, log });
      if (r.verifierChanged) {
        log("compiling contracts with the new verifier");
        await buildContracts();
      }
      const m = r.manifest;
      if (o.json) {
        console.log(JSON.stringify(m, null, 2));
        return;
      }
      console.log(`instance      ${m.label}${r.cached ? " (cached)" : ""}`);
      console.log(`constraints   ${m.constraints}`);
      console.log(`ptau          ${m.ptau.kind}${m.ptau.kind === "ceremony" ? "" : " (INSECURE: development only)"}, power ${m.ptau.power}`);
      console.log(
        "phase 2       DEVELOPMENT: one contribution, made on this machine (INSECURE: whoever ran it could forge proofs; use `zkr ceremony` for a real chain)",
      );
      console.log(`zkey          ${m.zkey}`);
      console.log(`verifier      ${m.contractName} (${r.verifierPath ?? m.verifierSol})`);
    });
}
