// The operations layer (the SDK): what the zkr commands, the demo, the benchmarks and the tests do
// with a rollup, as functions taking explicit typed arguments (a signer or provider, a deployment,
// a sequencer client, amounts in base units) and returning typed results. Nothing here prints,
// exits the process or reads the environment: progress goes to an optional `log` callback.
export * from "./client.js";
export * from "./connect.js";
export * from "./deploy.js";
export * from "./deployment.js";
export * from "./deposit.js";
export * from "./devnet.js";
export * from "./escape.js";
export * from "./fallback.js";
export * from "./sequencer.js";
export * from "./tokens.js";
export * from "./transfer.js";
export * from "./watch.js";
