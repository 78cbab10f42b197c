// The committed TypeScript bindings (typechain-types/, scripts/typechain.ts) are the ones the
// current contracts' ABI generates: a contract change that alters the ABI must regenerate them.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { BINDINGS_DIR, generateBindings } from "../../scripts/typechain.js";

/** Every file under `dir`, relative to it, sorted. */
function files(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as { name: string; parentPath: string; isFile(): boolean }[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe("TypeScript bindings", () => {
  it("typechain-types/ is what the compiled ABI generates (else: npm run typechain)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "zkr-bindings-"));
    try {
      await generateBindings(dir);
      const generated = files(dir);
      expect(files(BINDINGS_DIR), "the files of typechain-types/").to.deep.equal(generated);
      for (const f of generated) {
        expect(readFileSync(path.join(BINDINGS_DIR, f), "utf8"), `typechain-types/${f} is out of date: run \`npm run typechain\``).to.equal(
          readFileSync(path.join(dir, f), "utf8"),
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
