// The Poseidon contracts the Rollup uses (circomlibjs bytecode for 3, 4 and 5 inputs,
// contracts/Poseidon8.sol for 8) against the JavaScript Poseidon of src/model/crypto.ts, plus
// deploy-time checks of given Poseidon addresses and of Poseidon8's constants tables.
import { expect } from "chai";
import { ContractFactory } from "ethers";
import { poseidonHasher, SNARK_FIELD } from "../../src/model/crypto.js";
import { checkPoseidonContract, POSEIDON_ARITIES, type PoseidonArity, poseidonContractAt } from "../../src/chain/deploy.js";
import { readArtifact } from "../../src/chain/artifacts.js";
import { poseidon8TableInitcodes, poseidon8TableWords } from "../../src/chain/poseidonBytecode.js";
import { deployer, deployWithMock, ethers, sharedPoseidon } from "./fixture.js";
import { expectRevert, seededBelow } from "./helpers.js";

const hash = await poseidonHasher();

describe("Poseidon contracts (circomlibjs bytecode, Poseidon8.sol)", () => {
  for (const n of POSEIDON_ARITIES) {
    it(`Poseidon(${n}) matches src/model/crypto.ts on random and extreme inputs`, async () => {
      const c = poseidonContractAt((await sharedPoseidon())[n], n, ethers.provider);
      const vectors: bigint[][] = [
        Array(n).fill(0n),
        Array(n).fill(SNARK_FIELD - 1n),
        Array.from({ length: n }, (_, i) => BigInt(i + 1)),
        ...Array.from({ length: 8 }, (_, v) => Array.from({ length: n }, (_, i) => seededBelow(`p${n}/${v}/${i}`, SNARK_FIELD))),
      ];
      for (const inputs of vectors) {
        expect(await c.getFunction("poseidon").staticCall(inputs), `Poseidon(${inputs.join(", ")})`).to.equal(hash(inputs));
      }
    });
  }

  it("reduces inputs mod r: an input x + r hashes like x (so the Rollup range-checks what it binds)", async () => {
    const c = poseidonContractAt((await sharedPoseidon())[8], 8, ethers.provider);
    const x = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];
    const aliased = [1n, 2n, 3n, 4n, 5n + SNARK_FIELD, 6n, 7n, 8n];
    expect(await c.getFunction("poseidon").staticCall(aliased)).to.equal(hash(x));
  });

  it("checkPoseidonContract accepts the right arity only", async () => {
    const p = await sharedPoseidon();
    for (const n of POSEIDON_ARITIES) await checkPoseidonContract(p[n], n, ethers.provider);
    const rejects = async (address: string, n: PoseidonArity) => {
      let error: unknown;
      await checkPoseidonContract(address, n, ethers.provider).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(new RegExp(`not a ${n}-input Poseidon`));
    };
    await rejects(p[5], 4);
    await rejects(p[4], 8);
    await rejects(p[8], 3);
    await rejects((await deployWithMock()).d.verifierAddress, 4);
    await rejects(deployer.address, 5);
  });

  it("Poseidon8 takes its constants from two data contracts of the exact sizes, in order", async () => {
    expect(poseidon8TableWords()).to.have.length(135 + 81 + 81 + 1071);
    const tables: string[] = [];
    for (const code of poseidon8TableInitcodes()) {
      const tx = await deployer.sendTransaction({ data: code });
      tables.push((await tx.wait())!.contractAddress!);
    }
    const code0 = await ethers.provider.getCode(tables[0]!);
    expect(code0.slice(0, 4)).to.equal("0x00"); // a STOP byte first: calling a table does nothing
    expect((code0.length - 2) / 2).to.equal(1 + 32 * 767);
    const art = readArtifact("Poseidon8");
    const factory = new ContractFactory(art.abi, art.bytecode, deployer);
    await expectRevert(factory.deploy(tables[1], tables[0]), factory, "BadTable", [tables[1]]);
    await expectRevert(factory.deploy(tables[0], tables[0]), factory, "BadTable", [tables[0]]);
    const p8 = await factory.deploy(tables[0], tables[1]);
    await p8.waitForDeployment();
    const inputs = Array.from({ length: 8 }, (_, i) => seededBelow(`table/${i}`, SNARK_FIELD));
    expect(await p8.getFunction("poseidon").staticCall(inputs)).to.equal(hash(inputs));
  });

  it("reports the gas of one call", async () => {
    const p = await sharedPoseidon();
    const rows: string[] = [];
    for (const n of POSEIDON_ARITIES) {
      const c = poseidonContractAt(p[n], n, ethers.provider);
      const gas = await c.getFunction("poseidon").estimateGas(Array(n).fill(7n));
      rows.push(`Poseidon(${n}) ${gas - 21_000n} (estimateGas minus 21000, calldata included)`);
      // circomlibjs's bytecode keeps the state on the stack; Poseidon8.sol's is in memory (t = 9
      // does not fit the stack) and its constants are copied from two data contracts.
      expect(Number(gas)).to.be.lessThan(n === 8 ? 300_000 : 200_000);
    }
    console.log(rows.map((r) => `      ${r}`).join("\n"));
  });
});
