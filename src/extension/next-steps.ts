/**
 * Core's next steps phrased for VS Code: the command to run (palette title and id). No `vscode` import, so the
 * phrasing is tested without VS Code; errors.ts and the toasts use it.
 */
import { isHintPart, renderHint, type HintPart, type NextStep } from "../core/shared/hint";

/** A step as a VS Code command, or as a terminal command where VS Code has none. */
export interface StepCommand {
  /** The command id; undefined when only the CLI can take the step. */
  command?: string;
  /** The button text. */
  title: string;
  /** How a message names it, e.g. “Deepfake Studio: Gather Images”. */
  phrase: string;
  /** Arguments for the command (Import Folder… gets the category to fill). */
  args?: unknown[];
}

const palette = (command: string, title: string, args?: unknown[]): StepCommand => ({ command: `deepfakeStudio.${command}`, title, phrase: `“Deepfake Studio: ${title}”`, args });

/** The VS Code command that takes `step`. */
export function stepCommand(step: NextStep): StepCommand {
  switch (step.step) {
    case "init":
      return palette("newProject", "New Project");
    case "gather":
      return palette("gather", "Gather Images");
    case "import":
      return step.label === undefined
        ? palette("importFolder", "Import Folder…")
        : { ...palette("importFolder", "Import Folder…", [undefined, undefined, step.label]), phrase: `“Deepfake Studio: Import Folder…” (category “${step.label}”)` };
    case "train":
      return palette("train", "Train");
    case "export":
      return palette("export", "Export Model");
    case "space":
      return palette("createSpace", "Create Space");
    case "deploy":
      return palette("deploy", "Deploy to Hugging Face");
    // No command in VS Code does these: say where they are done.
    case "lr-find":
      return { title: "", phrase: "`deepfake-studio train --lr-find` in a terminal" };
    case "backbone-offline":
      return { title: "", phrase: "`deepfake-studio backbone --offline` in a terminal" };
    default: {
      const unreachable: never = step;
      return unreachable;
    }
  }
}

/** A core hint (its parts) as VS Code says it: commands by their palette titles, CLI-only remarks left out. */
export function hintForVsCode(parts: readonly HintPart[]): string {
  return renderHint(parts, (step) => stepCommand(step).phrase, { cli: false });
}

/** The steps a hint names that VS Code can run, first mention first, each once (they become buttons). */
export function hintCommands(parts: readonly HintPart[]): StepCommand[] {
  const out: StepCommand[] = [];
  for (const part of parts) {
    if (typeof part === "string" || "cliOnly" in part) continue;
    const command = stepCommand(part);
    if (command.command && !out.some((known) => known.command === command.command)) out.push(command);
  }
  return out;
}

/** hintParts read from an error built elsewhere (another bundle): kept only when every part is well-formed. */
export function readHintParts(value: unknown): HintPart[] | undefined {
  return Array.isArray(value) && value.length > 0 && value.every(isHintPart) ? (value as HintPart[]) : undefined;
}
