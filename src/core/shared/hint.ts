/**
 * Hints that name a next step ("gather images", "import a folder") without naming a front end's command: the CLI
 * says `deepfake-studio gather`, the extension “Deepfake Studio: Gather Images”. Core errors build hints from these
 * parts; StudioError keeps them (hintParts) next to the command-line text (hint).
 */

/** A step the user can take next, by what it does. */
export type NextStep =
  | { step: "init" }
  | { step: "gather" }
  /** Import a folder of pictures; `label` when the hint is about one category. */
  | { step: "import"; label?: string }
  | { step: "train" }
  | { step: "lr-find" }
  | { step: "export" }
  | { step: "space" }
  | { step: "deploy" }
  | { step: "backbone-offline" };

/** Text, a step, or a remark that only makes sense on the command line (a flag). */
export type HintPart = string | NextStep | { cliOnly: string };

/** What StudioError and its subclasses accept as a hint. */
export type Hint = string | HintPart[];

/** The command line that takes a step. */
export function cliCommandFor(step: NextStep): string {
  switch (step.step) {
    case "init":
      return "deepfake-studio init";
    case "gather":
      return "deepfake-studio gather";
    case "import":
      return `deepfake-studio import <folder> --label ${step.label === undefined ? "<label>" : JSON.stringify(step.label)}`;
    case "train":
      return "deepfake-studio train";
    case "lr-find":
      return "deepfake-studio train --lr-find";
    case "export":
      return "deepfake-studio export";
    case "space":
      return "deepfake-studio space";
    case "deploy":
      return "deepfake-studio deploy";
    case "backbone-offline":
      return "deepfake-studio backbone --offline";
    default: {
      const unreachable: never = step;
      return unreachable;
    }
  }
}

/** Renders parts with `name` for each step; `cliOnly` parts are kept only when `cli` is set. */
export function renderHint(parts: readonly HintPart[], name: (step: NextStep) => string, options: { cli: boolean }): string {
  const text = parts.map((part) => {
    if (typeof part === "string") return part;
    if ("cliOnly" in part) return options.cli ? part.cliOnly : "";
    return name(part);
  }).join("");
  // A dropped CLI-only part can leave a doubled space or a space before punctuation.
  return text.replace(/ {2,}/g, " ").replace(/ ([.,;)])/g, "$1").trim();
}

/** The hint as the command line shows it: each step as a `command`. */
export function renderHintForCli(parts: readonly HintPart[]): string {
  return renderHint(parts, (step) => `\`${cliCommandFor(step)}\``, { cli: true });
}

/** True when `value` is a NextStep (for a front end reading hintParts from an error it did not construct). */
export function isNextStep(value: unknown): value is NextStep {
  if (typeof value !== "object" || value === null) return false;
  const { step, label } = value as { step?: unknown; label?: unknown };
  const steps = ["init", "gather", "import", "train", "lr-find", "export", "space", "deploy", "backbone-offline"];
  return typeof step === "string" && steps.includes(step) && (label === undefined || (step === "import" && typeof label === "string"));
}

/** True when `value` is a HintPart. */
export function isHintPart(value: unknown): value is HintPart {
  if (typeof value === "string") return true;
  if (typeof value === "object" && value !== null && typeof (value as { cliOnly?: unknown }).cliOnly === "string") return true;
  return isNextStep(value);
}
