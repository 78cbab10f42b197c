// `zkr ceremony`: phase 2 of the trusted setup with several contributors and a public beacon
// (src/proving/ceremony.ts has the workflow and what each step checks). The coordinator runs init,
// `verify --record` after each contribution and finalize; contributors run only `contribute`,
// on their own machines, with nothing but the previous key.
import { Command } from "commander";
import path from "node:path";
import {
  BEACON_MAX_ITERATIONS_EXP,
  BEACON_MIN_ITERATIONS_EXP,
  type CeremonyCheck,
  contribute,
  finalizeCeremony,
  initInstanceCeremony,
  recordContributions,
  verifyCeremonyZkey,
} from "../../proving/ceremony.js";
import { setupProvenance } from "../../proving/setup.js";
import { describeProvenance } from "../../proving/manifest.js";
import type { ZkeyContribution } from "../../proving/zkey.js";
import { Config } from "../config.js";
import { instanceAndPtau, numArg, withInstanceAndPtau } from "../units.js";

const progress = (json?: boolean) => (json ? () => {} : (m: string) => console.error(m));

function contributionLine(c: ZkeyContribution): string {
  const beacon = c.beacon ? `  (beacon ${c.beacon.hash}, 2^${c.beacon.iterationsExp} iterations)` : "";
  return `  #${c.index} ${c.name || "(no name)"}\n     ${c.hash}${beacon}`;
}

function initCommand(): Command {
  const cmd = new Command("init").description(
    "start a ceremony: compile the instance, compute the initial key (contribution 0) from the ptau, write the ceremony directory (key + ceremony.json)",
  );
  return withInstanceAndPtau(cmd)
    .requiredOption("--out <dir>", "ceremony directory to create")
    .option("--json", "print the ceremony manifest as JSON")
    .action(async (o: { instance: string; ptau?: string; ptauSha256?: string; out: string; json?: boolean }) => {
      const { instance, ptau } = instanceAndPtau(o);
      const { devPtau } = Config.resolve({}, ["devPtau"]);
      const r = await initInstanceCeremony(instance, {
        out: o.out,
        ptau,
        devPtau,
        log: progress(o.json),
      });
      const m = r.manifest;
      if (o.json) return console.log(JSON.stringify(m, null, 2));
      const rel = (f: string) => {
        const r = path.relative(process.cwd(), f);
        return r.startsWith("..") ? f : r || ".";
      };
      console.log(`ceremony      ${m.label} (${m.constraints} constraints) in ${r.dir}`);
      console.log(
        `ptau          ${m.ptau.kind}${m.ptau.kind === "ceremony" ? "" : " (INSECURE: development only)"}, power ${m.ptau.power}, sha256 ${m.ptau.sha256}`,
      );
      console.log(`r1cs sha256   ${m.r1csSha256}`);
      console.log(`circuit hash  ${m.circuitHash}`);
      console.log(`initial key   ${r.zkey} (sha256 ${m.initialZkeySha256})`);
      console.log("next          each contributor in turn, on any machine:");
      console.log(`                zkr ceremony contribute <previous.zkey> <next.zkey> --name <who>`);
      console.log(`              after each one (coordinator): zkr ceremony verify <next.zkey> --ceremony ${rel(r.dir)} --record`);
      console.log(
        `              then: zkr ceremony finalize <last.zkey> --ceremony ${rel(r.dir)} --beacon <hex> --iterations <n> --beacon-source "<announced source>"`,
      );
    });
}

function contributeCommand(): Command {
  return new Command("contribute")
    .description("add your contribution to a ceremony key (needs only the key: run it on your own machine) and print the hash to publish")
    .argument("<in.zkey>", "the latest key of the ceremony")
    .argument("<out.zkey>", "where to write the key with your contribution")
    .requiredOption("--name <who>", "your name or handle, recorded in the key with your contribution (up to 64 bytes)")
    .option("--entropy <text>", "extra randomness mixed into your secret (64 fresh bytes from the OS are always used)")
    .option("--force", "replace <out.zkey> if it exists")
    .option("--json", "print the result as JSON")
    .action(async (inZkey: string, outZkey: string, o: { name: string; entropy?: string; force?: boolean; json?: boolean }) => {
      const r = await contribute(inZkey, outZkey, { name: o.name, entropy: o.entropy, force: o.force, log: progress(o.json) });
      const c = r.contribution;
      if (o.json)
        return console.log(
          JSON.stringify(
            {
              index: c.index,
              name: c.name,
              hash: c.hash,
              out: path.resolve(outZkey),
              outSha256: r.outSha256,
              circuitHash: r.circuitHash,
              previous: r.previous,
            },
            null,
            2,
          ),
        );
      console.log(`contribution  #${c.index} ${c.name}`);
      console.log(`hash          ${c.hash}`);
      console.log(
        `on top of     ${r.previous.length === 0 ? "the initial key" : r.previous.map((p) => `#${p.index} ${p.name} ${p.hash.slice(0, 16)}…`).join(", ")}`,
      );
      console.log(`circuit hash  ${r.circuitHash}`);
      console.log(`written to    ${path.resolve(outZkey)} (sha256 ${r.outSha256})`);
      console.log("Publish the hash above where everyone can see it; `zkr ceremony verify` lists it once the coordinator has your key.");
      console.log("Your secret existed only in this process's memory and is gone with it.");
    });
}

function printCheck(zkey: string, v: CeremonyCheck): void {
  const m = v.manifest;
  console.log(`zkey          ${path.resolve(zkey)} (sha256 ${v.zkeySha256})`);
  console.log(`ceremony      ${m.label}, r1cs sha256 ${m.r1csSha256}, ${m.ptau.kind} ptau sha256 ${m.ptau.sha256}`);
  console.log(`circuit hash  ${v.circuitHash ?? "(unreadable)"}`);
  console.log(`contributions ${v.contributions.length === 0 ? "none (the initial key)" : ""}`);
  for (const c of v.contributions) console.log(contributionLine(c));
  console.log(`transcript    ${v.recorded} accepted before, ${Math.max(0, v.contributions.length - v.recorded)} new`);
  console.log(`result        ${v.valid ? "VALID: every contribution checks out against the r1cs and the ptau" : `INVALID: ${v.problem}`}`);
}

function verifyCommand(): Command {
  return new Command("verify")
    .description(
      "verify a ceremony key against the r1cs and the ptau (snarkjs zkey verify) and the accepted transcript, and list every contribution; exit code 1 if invalid",
    )
    .argument("<zkey>", "the key to check")
    .option("--ceremony <dir>", "ceremony directory (or its ceremony.json); default: the key's directory")
    .option("--ptau <file>", "the ceremony's ptau, if not at the path ceremony.json records (its sha256 is checked)")
    .option("--record", "(coordinator) accept the key's new contributions into the transcript: later keys must extend them")
    .option("--json", "print the result as JSON")
    .action(async (zkey: string, o: { ceremony?: string; ptau?: string; record?: boolean; json?: boolean }) => {
      const v = await verifyCeremonyZkey(zkey, { ceremony: o.ceremony, ptau: o.ptau, log: progress(o.json) });
      const added = o.record && v.valid ? recordContributions(v, zkey) : [];
      if (o.json) {
        const { manifest, ...rest } = v;
        console.log(JSON.stringify({ ...rest, label: manifest.label, recordedNow: added }, null, 2));
      } else {
        printCheck(zkey, v);
        for (const a of added) console.log(`recorded      #${a.index} ${a.name} into ${path.join(v.dir, "ceremony.json")}`);
        if (o.record && v.valid && added.length === 0) console.log("recorded      nothing new");
      }
      if (!v.valid) process.exitCode = 1;
    });
}

function finalizeCommand(): Command {
  return new Command("finalize")
    .description(
      "end the ceremony: verify the last key, apply the public random beacon, verify again, and write the setup directory (verification key, Solidity verifier) for zkr deploy --setup",
    )
    .argument("<zkey>", "the last contributed key")
    .requiredOption("--beacon <hex>", "the beacon value, announced before the contributions closed (e.g. the hash of a future block)")
    .requiredOption(
      "--iterations <n>",
      `log2 of the sha256 rounds applied to the beacon (snarkjs numIterationsExp, ${BEACON_MIN_ITERATIONS_EXP} to ${BEACON_MAX_ITERATIONS_EXP})`,
      numArg("--iterations", BEACON_MIN_ITERATIONS_EXP, BEACON_MAX_ITERATIONS_EXP),
    )
    .option("--beacon-source <text>", "where the beacon value comes from, as announced (recorded in the setup)")
    .option("--ceremony <dir>", "ceremony directory (or its ceremony.json); default: the key's directory")
    .option("--ptau <file>", "the ceremony's ptau, if not at the path ceremony.json records")
    .option("--out <dir>", "setup directory to write (default: the cache, where zkr deploy / sequencer find it)")
    .option("--json", "print the setup manifest as JSON")
    .action(
      async (
        zkey: string,
        o: { beacon: string; iterations: number; beaconSource?: string; ceremony?: string; ptau?: string; out?: string; json?: boolean },
      ) => {
        const r = await finalizeCeremony(zkey, {
          beacon: o.beacon,
          iterationsExp: o.iterations,
          beaconSource: o.beaconSource,
          ceremony: o.ceremony,
          ptau: o.ptau,
          out: o.out,
          log: progress(o.json),
        });
        const m = r.manifest;
        const p = await setupProvenance(m); // rereads the written files
        if (o.json) return console.log(JSON.stringify(m, null, 2));
        console.log(`setup         ${m.label}-${m.key}${r.cached ? " (already written)" : ""} in ${r.dir}`);
        console.log(`phase 2       ${describeProvenance(p)}`);
        for (const [i, c] of p.contributions.entries()) console.log(`  #${i + 1} ${c.name}\n     ${c.hash}`);
        console.log(`beacon        ${p.beacon!.hash} (2^${p.beacon!.iterationsExp} iterations)${p.beacon!.source ? `, source: ${p.beacon!.source}` : ""}`);
        console.log(`zkey sha256   ${p.zkeySha256}`);
        console.log(`verifier      ${m.contractName} (${m.verifierSol})`);
        console.log(`deploy with   zkr deploy -i ${m.label} --setup ${r.dir}`);
      },
    );
}

export function ceremonyCommand(): Command {
  return new Command("ceremony")
    .description("multi-party phase 2 of the trusted setup: init, contribute (each party, any machine), verify, finalize with a public beacon")
    .addCommand(initCommand())
    .addCommand(contributeCommand())
    .addCommand(verifyCommand())
    .addCommand(finalizeCommand());
}
