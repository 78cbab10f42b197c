// README.md's constraint and gas tables are the ones scripts/readme-tables.ts generates from
// snapshots/constraints.json and snapshots/gas.json: this fails while the README is stale.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { readConstraintSnapshot } from "../../bench/snapshots.js";
import { README, readmeTables, renderReadme } from "../../scripts/readme-tables.js";

describe("README.md snapshot tables (scripts/readme-tables.ts)", () => {
  const text = readFileSync(README, "utf8");

  it("every table between snapshot markers is the one the snapshots give (run scripts/readme-tables.ts after bin/bench --update-snapshots)", () => {
    const tables = readmeTables();
    expect(Object.keys(tables)).to.deep.equal(["instances", "components", "l1-ops-gas", "batch-gas"]);
    for (const [name, table] of Object.entries(tables)) expect(text, name).to.include(`<!-- snapshot:${name} -->\n${table}\n<!-- /snapshot -->`);
    expect(renderReadme(text)).to.equal(text);
  });

  it("a stale table or a missing section is caught", () => {
    const s = readConstraintSnapshot();
    const total = s.instances["test_d4_b2"]!.toLocaleString("en-US");
    const stale = text.replace(`| ${total} | 2^16 |`, `| ${total}0 | 2^16 |`);
    expect(stale).to.not.equal(text);
    expect(renderReadme(stale)).to.equal(text);
    // the tables follow the snapshot they are given
    expect(renderReadme(text, readmeTables({ ...s, instances: { ...s.instances, test_d4_b2: s.instances["test_d4_b2"]! + 1 } }))).to.not.equal(text);
    const unmarked = text.replace("<!-- snapshot:batch-gas -->", "");
    expect(() => renderReadme(unmarked)).to.throw(/no <!-- snapshot:NAME --> … <!-- \/snapshot --> section for batch-gas/);
  });
});
