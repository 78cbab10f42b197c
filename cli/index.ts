import { Command, CommanderError } from "commander";
import { demoCommand } from "./commands/demo.js";
import { setupCommand } from "./commands/setup.js";

const program = new Command()
  .name("zkr")
  .description("zkr: a ZK rollup with Groth16 validity proofs")
  .showHelpAfterError()
  .exitOverride();

program.addCommand(setupCommand());
program.addCommand(demoCommand());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  // Errors become one clear line and a non-zero exit; ZKR_DEBUG=1 shows the stack.
  console.error(`zkr: ${e instanceof Error ? e.message : String(e)}`);
  if (process.env.ZKR_DEBUG === "1" && e instanceof Error) console.error(e.stack);
  process.exit(1);
}
