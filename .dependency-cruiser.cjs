// The layers of src/ and the one direction imports may go (README "Architecture"):
//   util → model → proving → chain → prover, sequencer → ops → cli
// A module may import its own layer and the layers to its left, never to its right.
// `npx depcruise src` (bin/lint) fails on any import against this, and on any cycle.
const layers = ["util", "model", "proving", "chain", "prover", "sequencer", "ops", "cli"];
// The sequencer drives the prover queue; the prover service knows nothing of the sequencer.
const allowed = {
  util: [],
  model: [],
  proving: ["util", "model"],
  chain: ["util", "model", "proving"],
  prover: ["util", "model", "proving"],
  sequencer: ["util", "model", "proving", "chain", "prover"],
  ops: ["util", "model", "proving", "chain", "prover", "sequencer"],
  cli: ["util", "model", "proving", "chain", "prover", "sequencer", "ops"],
};
const layerRules = layers.map((layer) => ({
  name: `layer-${layer}`,
  comment: `src/${layer} may import only ${["its own layer", ...allowed[layer].map((l) => `src/${l}`)].join(", ")}`,
  severity: "error",
  from: { path: `^src/${layer}/` },
  to: { path: "^src/", pathNot: [`^src/(${[layer, ...allowed[layer], "types"].join("|")})/`] },
}));
module.exports = {
  forbidden: [
    { name: "no-circular", comment: "no import cycles, type-only imports included", severity: "error", from: {}, to: { circular: true } },
    ...layerRules,
    {
      name: "model-is-pure",
      comment: "the protocol model does no I/O: no fs, processes, network, ethers or snarkjs",
      severity: "error",
      from: { path: "^src/model/" },
      to: { dependencyTypes: ["core", "npm", "npm-dev"], pathNot: ["^node_modules/(circomlibjs|@noble/hashes)/"] },
    },
    {
      name: "cli-commands-independent",
      comment: "a CLI command never imports another: what two commands share is in src/ops or src/cli's own modules",
      severity: "error",
      from: { path: "^src/cli/commands/" },
      to: { path: "^src/cli/commands/" },
    },
    {
      name: "no-test-code-in-src",
      comment: "production code never imports tests, benchmarks or scripts",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench|scripts)/" },
    },
    { name: "not-to-unresolvable", severity: "error", from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"], extensions: [".ts", ".js", ".json"] },
  },
};
