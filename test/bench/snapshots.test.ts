// The committed snapshots (snapshots/*.json, bench/snapshots.ts) are complete and consistent:
// a total for every registered instance, breakdowns that add up to their totals, an entry for
// every template the circuit tests pin and nothing else. (The counts themselves are checked by
// the tests that compile those circuits: test/circuits/*.test.ts, test/cli/ceremony.test.ts.)
import { expect } from "chai";
import { BATCH_SHAPES, batchShapeName, readConstraintSnapshot, readGasSnapshot, TEMPLATE_MAINS } from "../../bench/snapshots.js";
import { getInstance, instances } from "../../src/proving/instances.js";

describe("snapshots/constraints.json and snapshots/gas.json", () => {
  const s = readConstraintSnapshot();

  it("records the total of every instance of circuits/instances.json, and only those", () => {
    expect(Object.keys(s.instances).sort()).to.deep.equal(Object.keys(instances()).sort());
    for (const [name, n] of Object.entries(s.instances)) expect(Number.isInteger(n) && n > 0, name).to.equal(true);
  });

  it("breakdowns add up to their instance's total, with one count per slot", () => {
    expect(Object.keys(s.components)).to.include.members(["prod_d12_b32", "prod_d16_b32"]);
    for (const [name, parts] of Object.entries(s.components)) {
      const p = getInstance(name);
      expect(
        parts.reduce((a, x) => a + x.count * x.each, 0),
        name,
      ).to.equal(s.instances[name]);
      const count = Object.fromEntries(parts.map((x) => [x.part, x.count]));
      expect(count, name).to.deep.equal({
        signature: p.batchSize,
        merkle: p.batchSize,
        leaves: p.batchSize,
        leafRanges: p.batchSize,
        transferRest: p.batchSize,
        l1Slot: p.l1Slots,
        forcedTransfer: Math.min(p.l1Slots, 1),
        feeSlot: p.feeSlots,
        publicInputs: 1,
        glue: 1,
      });
    }
  });

  it("has a count for every pinned template and batch shape, and nothing else", () => {
    expect(Object.keys(s.templates).sort()).to.deep.equal([...TEMPLATE_MAINS.map((t) => t.name), ...BATCH_SHAPES.map(batchShapeName)].sort());
  });

  it("gas figures are whole amounts of gas", () => {
    const g = readGasSnapshot().figures;
    expect(Object.keys(g)).to.have.length.at.least(20);
    for (const [name, gas] of Object.entries(g)) expect(Number.isSafeInteger(gas) && gas > 0, name).to.equal(true);
  });
});
