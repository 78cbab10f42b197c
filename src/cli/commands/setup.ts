import { Command } from "commander";
import { buildContracts, setupInstance } from "../../proving/setup.js";
import { Config } from "../config.js";
import { instanceAndPtau, withInstanceAndPtau } from "../units.js";

export function setupCommand(): Command {
  const cmd = new Command("setup").description(
    "DEVELOPMENT setup: compile a circuit instance, run the Groth16 setup with a single phase-2 contribution made here, export its verifier (cached); production keys come from `zkr ceremony`",
  );
  return withInstanceAndPtau(cmd)
    .option("--json", "print the setup manifest as JSON")
    .action(async (o: { instance: string; ptau?: string; ptauSha256?: string; json?: boolean }) => {
      const { instance, ptau } = instanceAndPtau(o);
      const log = o.json ? () => {} : (m: string) => console.error(m);
      const { devPtau } = Config.resolve({}, ["devPtau"]);
      const r = await setupInstance(instance, { ptau, devPtau, log });
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
