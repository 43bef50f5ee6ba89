/** Every sub-command registers itself here; later capabilities add one line each. */
import type { Command } from "commander";
import { registerBackboneCommand } from "./backbone";
import { registerCheckCommand } from "./check";
import { registerCleanCommand } from "./clean";
import { registerDemoCommand } from "./demo";
import { registerEvaluateCommand } from "./evaluate";
import { registerExportCommands } from "./export";
import { registerGatherCommands } from "./gather";
import { registerInitCommand } from "./project";
import { registerSpaceCommands } from "./space";
import { registerSynthesizeCommand } from "./synthesize";
import { registerTrainCommand } from "./train";

export function registerCommands(program: Command): void {
  registerInitCommand(program);
  registerGatherCommands(program);
  registerBackboneCommand(program);
  registerTrainCommand(program);
  registerSynthesizeCommand(program);
  registerCleanCommand(program);
  registerExportCommands(program);
  registerSpaceCommands(program);
  registerDemoCommand(program);
  registerCheckCommand(program);
  registerEvaluateCommand(program);
}
