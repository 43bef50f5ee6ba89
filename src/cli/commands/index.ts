/** Every sub-command registers itself here; later capabilities add one line each. */
import type { Command } from "commander";

export function registerCommands(program: Command): void {
  void program;
}
