/**
 * Hints that name a next step ("gather images", "import a folder") without naming a front end's command: the CLI
 * says `deepfake-studio gather`, the extension “Deepfake Studio: Gather Images”. Core errors build hints from these
 * parts; StudioError keeps them (hintParts) next to the command-line text (hint).
 */

/** The kinds of Space a step can name (core's SpaceSdk, repeated here so shared/ needs nothing from space/). */
export type HintSdk = "static" | "gradio";

/** A step the user can take next, by what it does. */
export type NextStep =
  | { step: "init" }
  | { step: "gather" }
  /** Import a folder of pictures; `label` when the hint is about one category. */
  | { step: "import"; label?: string }
  | { step: "train" }
  | { step: "lr-find" }
  | { step: "export" }
  /** Write the Space folder; `sdk` when the hint is about writing it as that kind. */
  | { step: "space"; sdk?: HintSdk }
  /** Deploy the Space; `sdk` / `repo` when the hint proposes that kind of Space or that name. */
  | { step: "deploy"; sdk?: HintSdk; repo?: string }
  | { step: "backbone-offline" }
  /** Store a Hugging Face token: a command in the editor; on the command line the text around it says HF_TOKEN. */
  | { step: "set-token" }
  /** Name the category that means manipulated (fakeLabel in the project file): a command in the editor; the CLI's text says the rest. */
  | { step: "fake-label" };

/** Text, a step, a remark that only makes sense on the command line (a flag), or one only an editor shows. */
export type HintPart = string | NextStep | { cliOnly: string } | { editorOnly: string };

/** What StudioError and its subclasses accept as a hint. */
export type Hint = string | HintPart[];

/** The command line that takes a step; undefined for a step only an editor has (the hint's text says the rest). */
export function cliCommandFor(step: NextStep): string | undefined {
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
      return `deepfake-studio space${step.sdk ? ` --sdk ${step.sdk}` : ""}`;
    case "deploy":
      return step.repo === undefined && step.sdk === undefined ? "deepfake-studio deploy" : `deepfake-studio deploy --space ${step.repo ?? "<owner>/<name>"}${step.sdk ? ` --sdk ${step.sdk}` : ""}`;
    case "backbone-offline":
      return "deepfake-studio backbone --offline";
    case "set-token":
    case "fake-label":
      return undefined;
    default: {
      const unreachable: never = step;
      return unreachable;
    }
  }
}

/** Renders parts with `name` for each step; `cliOnly` parts are kept only when `cli` is set, `editorOnly` ones only when not. */
export function renderHint(parts: readonly HintPart[], name: (step: NextStep) => string, options: { cli: boolean }): string {
  const text = parts.map((part) => {
    if (typeof part === "string") return part;
    if ("cliOnly" in part) return options.cli ? part.cliOnly : "";
    if ("editorOnly" in part) return options.cli ? "" : part.editorOnly;
    return name(part);
  }).join("");
  // A dropped part can leave a doubled space or a space before punctuation.
  return text.replace(/ {2,}/g, " ").replace(/ ([.,;)])/g, "$1").trim();
}

/** The hint as the command line shows it: each step as a `command` (an editor-only step as nothing). */
export function renderHintForCli(parts: readonly HintPart[]): string {
  return renderHint(parts, (step) => {
    const command = cliCommandFor(step);
    return command === undefined ? "" : `\`${command}\``;
  }, { cli: true });
}

const STEPS: ReadonlySet<string> = new Set(["init", "gather", "import", "train", "lr-find", "export", "space", "deploy", "backbone-offline", "set-token", "fake-label"]);
/** The fields each step may carry besides `step`. */
const STEP_FIELDS: Readonly<Record<string, readonly string[]>> = { import: ["label"], space: ["sdk"], deploy: ["sdk", "repo"] };
const REPO = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;

/** True when `value` is a NextStep (for a front end reading hintParts from an error it did not construct). */
export function isNextStep(value: unknown): value is NextStep {
  if (typeof value !== "object" || value === null) return false;
  const { step, ...fields } = value as Record<string, unknown>;
  if (typeof step !== "string" || !STEPS.has(step)) return false;
  const allowed = STEP_FIELDS[step] ?? [];
  return Object.entries(fields).every(([field, fieldValue]) => {
    if (fieldValue === undefined) return true;
    if (!allowed.includes(field)) return false;
    if (field === "sdk") return fieldValue === "static" || fieldValue === "gradio";
    if (field === "repo") return typeof fieldValue === "string" && REPO.test(fieldValue);
    return typeof fieldValue === "string";
  });
}

/** True when `value` is a HintPart. */
export function isHintPart(value: unknown): value is HintPart {
  if (typeof value === "string") return true;
  if (typeof value !== "object" || value === null) return false;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === "cliOnly" || keys[0] === "editorOnly")) return typeof (value as Record<string, unknown>)[keys[0]] === "string";
  return isNextStep(value);
}
