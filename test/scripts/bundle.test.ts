// bin/zkr's bundle of src/ (scripts/bundle.ts), in a copy of the repository's sources (its
// node_modules and .tools linked, so nothing is installed): built at the first start and started
// from, built again when a source changes, several first starts at once building it once, and
// the CLI from the sources through tsx with ZKR_BUNDLE=0 or when the bundle cannot be built.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { BUNDLE_ENTRIES } from "../../scripts/bundle.js";
import { REPO_ROOT } from "../../src/util/paths.js";

const DESCRIPTION = "zkr: a ZK rollup with Groth16 validity proofs";

describe("bin/zkr's bundle of src/ (scripts/bundle.ts)", function () {
  let dir: string;
  const bundles = () => readdirSync(path.join(dir, "build", "bundle")).sort();
  /** `bin/zkr --help` of the copy, with ZKR_BUNDLE as given (unset if undefined). */
  const help = async (bundle?: string) => {
    const env = { ...process.env };
    delete env.ZKR_BUNDLE;
    if (bundle !== undefined) env.ZKR_BUNDLE = bundle;
    return promisify(execFile)(path.join(dir, "bin", "zkr"), ["--help"], { env, cwd: dir });
  };
  /** Rewrites the CLI's description in the copy's sources. */
  const describeAs = (text: string) => {
    const file = path.join(dir, "src", "cli", "index.ts");
    const src = readFileSync(file, "utf8");
    writeFileSync(file, src.replace(/\.description\("[^"]*"\)/, `.description("${text}")`));
  };

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-bundle-"));
    for (const f of ["src", "bin/zkr", "scripts/toolchain.sh", "scripts/bundle.ts", "package.json", "package-lock.json", "tsconfig.json"]) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      cpSync(path.join(REPO_ROOT, f), path.join(dir, f), { recursive: true });
    }
    for (const f of ["node_modules", ".tools"]) symlinkSync(path.join(REPO_ROOT, f), path.join(dir, f));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is built at the first start, holds both programs, and later starts run it as it is", async function () {
    const first = await help();
    expect(first.stdout).to.include(DESCRIPTION);
    expect(first.stderr).to.equal("");
    const [key, ...others] = bundles();
    expect(others, "one bundle, no lock or temporary directory left").to.deep.equal([]);
    for (const name of Object.keys(BUNDLE_ENTRIES)) expect(existsSync(path.join(dir, "build", "bundle", key!, `${name}.mjs`)), name).to.equal(true);
    // a mark in the built bundle shows the next start runs that file, not a new build or the sources
    const zkr = path.join(dir, "build", "bundle", key!, "zkr.mjs");
    writeFileSync(zkr, `console.log("marked");\n${readFileSync(zkr, "utf8")}`);
    expect((await help()).stdout).to.match(/^marked$/m);
    expect(bundles()).to.deep.equal([key]);
  });

  it("is built again when a source changes", async function () {
    const before = bundles();
    describeAs("zkr, edited");
    const r = await help();
    expect(r.stdout)
      .to.include("zkr, edited")
      .and.not.match(/^marked$/m);
    expect(r.stderr).to.equal("");
    expect(bundles()).to.have.length(2).and.include.members(before);
  });

  it("ZKR_BUNDLE=0 runs the CLI from the sources through tsx and builds nothing; any other value is refused", async function () {
    const before = bundles();
    describeAs("zkr, edited again");
    const r = await help("0");
    expect(r.stdout).to.include("zkr, edited again");
    expect(r.stderr).to.equal("");
    expect(bundles()).to.deep.equal(before);
    const bad = await help("yes").catch((e: { code: number; stderr: string }) => e);
    expect(bad).to.include({ code: 1, stderr: `zkr: ZKR_BUNDLE must be 1 or 0, got "yes"\n` });
  });

  it("when the bundle cannot be built, runs the CLI from the sources through tsx and says why in one line", async function () {
    const build = path.join(dir, "build");
    renameSync(build, `${build}.kept`);
    writeFileSync(build, "not a directory\n"); // no build/bundle can be made (permissions do not stop root)
    try {
      const r = await help();
      expect(r.stdout).to.include("zkr, edited again");
      expect(r.stderr).to.match(/^zkr: cannot build the bundle of src\/ \(ENOTDIR: [^\n]*\); running from the TypeScript sources through tsx\n$/);
    } finally {
      rmSync(build);
      renameSync(`${build}.kept`, build);
    }
  });

  it("several first starts at once build one bundle, and all of them run", async function () {
    rmSync(path.join(dir, "build"), { recursive: true });
    const runs = await Promise.all([1, 2, 3, 4].map(() => help()));
    for (const r of runs) {
      expect(r.stdout).to.include("zkr, edited again");
      expect(r.stderr).to.equal("");
    }
    const all = bundles();
    expect(all, "one bundle, no lock or temporary directory left").to.have.length(1);
    expect(existsSync(path.join(dir, "build", "bundle", all[0]!, "zkr.mjs"))).to.equal(true);
  });
});
