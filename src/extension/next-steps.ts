/**
 * Core's next steps phrased for VS Code: the command to run (palette title and id). No `vscode` import, so the
 * phrasing is tested without VS Code; errors.ts and the toasts use it.
 */
import { cliCommandFor, isHintPart, renderHint, type HintPart, type NextStep } from "../core/shared/hint";

/** A step as a VS Code command (every step has one; a step added to core without one would be worded as text only). */
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
      return step.sdk === undefined
        ? palette("createSpace", "Create Space")
        : { ...palette("createSpace", `Create ${sdkName(step.sdk)} Space`, [{ sdk: step.sdk }]), phrase: `“Deepfake Studio: Create Space” as a ${step.sdk} Space` };
    case "deploy":
      return deployCommand(step);
    case "lr-find":
      return palette("findLearningRate", "Find Learning Rate");
    case "backbone-offline":
      return palette("useOfflineBackbone", "Use Offline Backbone");
    case "set-token":
      return palette("setToken", "Set Hugging Face Token");
    case "fake-label":
      return palette("chooseFakeLabel", "Choose Fake Label…");
    default: {
      const unreachable: never = step;
      return unreachable;
    }
  }
}

/** Deploy, possibly as another kind of Space or under another name (the Deploy command takes both as its argument). */
function deployCommand(step: Extract<NextStep, { step: "deploy" }>): StepCommand {
  const plain = palette("deploy", "Deploy to Hugging Face");
  if (step.repo === undefined && step.sdk === undefined) return plain;
  const how = [step.sdk ? `as a ${step.sdk} Space` : "", step.repo ? `to ${step.repo}` : ""].filter(Boolean).join(" ");
  // The kind is what a 402 changes (the name stays); a name alone is what a refused owner changes.
  const title = step.sdk ? `Deploy as ${sdkName(step.sdk)} Space` : `Deploy to ${step.repo}`;
  return { ...plain, title, phrase: `${plain.phrase} ${how}`, args: [{ sdk: step.sdk, repo: step.repo }] };
}

function sdkName(sdk: "static" | "gradio"): string {
  return sdk === "static" ? "Static" : "Gradio";
}

/** A core hint (its parts) as VS Code says it: commands by their palette titles, CLI-only remarks left out. */
export function hintForVsCode(parts: readonly HintPart[]): string {
  return renderHint(parts, (step) => stepCommand(step).phrase, { cli: false });
}

/** The steps a hint names that VS Code can run, first mention first, each once (they become buttons). */
export function hintCommands(parts: readonly HintPart[]): StepCommand[] {
  const out: StepCommand[] = [];
  for (const part of parts) {
    if (typeof part === "string" || "cliOnly" in part || "editorOnly" in part) continue;
    const command = stepCommand(part);
    if (command.command && !out.some((known) => known.command === command.command && JSON.stringify(known.args) === JSON.stringify(command.args))) out.push(command);
  }
  return out;
}

/** The parts of an error's (or a failed result's) hint: its own parts, else those its text quotes; undefined when neither. */
export function hintPartsOf(error: { hint?: unknown; hintParts?: unknown }): HintPart[] | undefined {
  return readHintParts(error.hintParts) ?? (typeof error.hint === "string" ? partsOfTextHint(error.hint) : undefined);
}

/** hintParts read from an error built elsewhere (another bundle): kept only when every part is well-formed. */
export function readHintParts(value: unknown): HintPart[] | undefined {
  return Array.isArray(value) && value.length > 0 && value.every(isHintPart) ? (value as HintPart[]) : undefined;
}

/** Steps whose command line takes no argument of the user's: a plain-text hint that quotes one names that step. */
const QUOTABLE_STEPS: NextStep[] = [{ step: "init" }, { step: "gather" }, { step: "train" }, { step: "lr-find" }, { step: "export" }, { step: "space" }, { step: "backbone-offline" }];

/**
 * The parts of a plain-text hint (one a core module wrote before hints had parts): each `deepfake-studio …` it quotes
 * that is exactly a step's command becomes that step, so VS Code names its own command and offers it as a button.
 * Undefined when it quotes none.
 */
export function partsOfTextHint(hint: string): HintPart[] | undefined {
  const parts: HintPart[] = [];
  let found = false;
  for (const [index, piece] of hint.split(/`([^`]*)`/).entries()) {
    // Odd pieces were inside backticks.
    const step = index % 2 === 1 ? QUOTABLE_STEPS.find((candidate) => cliCommandFor(candidate) === piece) : undefined;
    if (step) found = true;
    parts.push(step ?? (index % 2 === 1 ? `\`${piece}\`` : piece));
  }
  return found ? parts.filter((part) => part !== "") : undefined;
}

/**
 * Failures that may heal by themselves (the hub timed out, cut the connection, answered 5xx, was busy or
 * rate-limiting): the same step run again a little later can succeed, so it is offered as a button (Deploy Again).
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(["hub-timeout", "hub-network", "hub-unavailable", "hub-rate-limited", "hub-conflict"]);

/** True when running the same step again may succeed (an error's code, see TRANSIENT_CODES). */
export function isTransientCode(code: unknown): boolean {
  return typeof code === "string" && TRANSIENT_CODES.has(code);
}
