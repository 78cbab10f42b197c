// The sequencer store's schema version: a database written by another zkr version is refused
// before anything is read or written.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SequencerStore } from "../../sequencer/store.js";

describe("sequencer store schema", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "zkr-store-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("creates and reopens its own version, and refuses a database of another version", () => {
    const file = path.join(dir, "seq.sqlite");
    new SequencerStore(file).close();
    const again = new SequencerStore(file);
    again.setMeta("k", "v");
    again.close();

    const old = path.join(dir, "old.sqlite");
    const db = new DatabaseSync(old);
    db.exec("CREATE TABLE batches (number INTEGER PRIMARY KEY, input_hash TEXT NOT NULL); PRAGMA user_version = 2;");
    db.close();
    expect(() => new SequencerStore(old)).to.throw(/schema version 2, this zkr needs 4: start with a new database file/);
    const untouched = new DatabaseSync(old);
    expect(untouched.prepare("SELECT COUNT(*) AS n FROM sqlite_master").get()).to.deep.equal({ n: 1 });
    untouched.close();
  });
});
