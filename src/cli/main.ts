#!/usr/bin/env node
/** The `deepfake-studio` command line: a thin shell over src/core. Each sub-command lives in commands/. */
import { Command } from "commander";
import { cliContext } from "./cli-context";
import { registerCommands } from "./commands";
import { reportError } from "./output";

export function buildProgram(): Command {
  const program = new Command()
    .name("deepfake-studio")
    .description("Gather, train, clean, export and deploy a deepfake detector (fast.ai lesson 2, offline-capable).")
    .version(require("../../../package.json").version as string)
    .option("-C, --project <dir>", "project folder (holds deepfake-studio.json)", process.cwd())
    .showHelpAfterError();
  registerCommands(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const controller = new AbortController();
  // First Ctrl-C cancels cleanly (no half-written files); a second one exits at once.
  process.once("SIGINT", () => {
    process.stderr.write("\nCancelling… (press Ctrl-C again to quit at once)\n");
    controller.abort();
    process.once("SIGINT", () => process.exit(130));
  });
  cliContext.signal = controller.signal;
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

if (require.main === module) void main(process.argv);
