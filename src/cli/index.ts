import { Command, CommanderError } from "commander";
import { applyProcessSettings, type ProcessSettings } from "./config.js";
import { balanceCommand } from "./commands/balance.js";
import { ceremonyCommand } from "./commands/ceremony.js";
import { demoCommand } from "./commands/demo.js";
import { deployCommand } from "./commands/deploy.js";
import { depositCommand } from "./commands/deposit.js";
import { devnetCommand } from "./commands/devnet.js";
import { escapeCommand } from "./commands/escape.js";
import { fallbackCommand } from "./commands/fallback.js";
import { forceExitCommand } from "./commands/force-exit.js";
import { proverCommand } from "./commands/prover.js";
import { rebuildCommand } from "./commands/rebuild.js";
import { registerTokenCommand } from "./commands/register-token.js";
import { sequencerCommand } from "./commands/sequencer.js";
import { setupCommand } from "./commands/setup.js";
import { statusCommand } from "./commands/status.js";
import { transferCommand } from "./commands/transfer.js";
import { verifyCommand } from "./commands/verify.js";
import { watchCommand } from "./commands/watch.js";
import { walletCommand } from "./commands/wallet.js";
import { withdrawCommand } from "./commands/withdraw.js";

// The sequencer's database is node:sqlite, which Node 22 flags as experimental on every start.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (!String(warning).startsWith("SQLite is an experimental feature")) (emitWarning as (...a: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

let settings: ProcessSettings | undefined;
const program = new Command().name("zkr").description("zkr: a ZK rollup with Groth16 validity proofs").exitOverride();

for (const cmd of [
  devnetCommand(),
  setupCommand(),
  ceremonyCommand(),
  deployCommand(),
  sequencerCommand(),
  proverCommand(),
  walletCommand(),
  depositCommand(),
  transferCommand(),
  withdrawCommand(),
  forceExitCommand(),
  escapeCommand(),
  fallbackCommand(),
  balanceCommand(),
  statusCommand(),
  verifyCommand(),
  rebuildCommand(),
  watchCommand(),
  registerTokenCommand(),
  demoCommand(),
]) {
  program.addCommand(cmd);
}

// addCommand() does not pass settings down: every (sub)command reports parse errors to us.
const inherit = (parent: Command) => {
  for (const c of parent.commands) {
    c.copyInheritedSettings(parent);
    inherit(c);
  }
};
inherit(program);

try {
  settings = applyProcessSettings(); // before any command: the cache directory is the process's
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  // Errors become one clear line and a non-zero exit; ZKR_DEBUG=1 shows the stack.
  const err = e as { shortMessage?: string; message?: string };
  const message = (err.shortMessage ?? err.message ?? String(e)).split("\n")[0];
  console.error(`zkr: ${message}`);
  if (settings?.debug && e instanceof Error) console.error(e.stack);
  process.exit(1);
}
