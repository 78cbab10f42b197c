import { createRequire } from "node:module";
import path from "node:path";
import { defineConfig } from "hardhat/config";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";

// No solc can be downloaded on these machines: Hardhat compiles with the npm `solc`
// package's soljson.js, passed through the profile's `path`. The version comes from the
// package itself so the two can never disagree (Hardhat does not check they match).
const require = createRequire(import.meta.url);
const solcDir = path.dirname(require.resolve("solc/package.json"));
const solcVersion: string = require("solc/package.json").version;

export default defineConfig({
  plugins: [hardhatEthers],
  solidity: {
    profiles: {
      default: {
        version: solcVersion,
        path: path.join(solcDir, "soljson.js"),
        settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" },
      },
    },
  },
  networks: {
    localhost: { type: "http", url: "http://127.0.0.1:8545" },
  },
});
