/**
 * Which of the model's labels means "manipulated": the one asked for, else the project file's fakeLabel, else the one
 * containing "fake", else the second.
 */
import { StudioError } from "./errors";
import type { HintPart } from "./hint";

/** The label whose probability check reports, and its column in the model's output. */
export interface FakeLabel {
  label: string;
  index: number;
  /** How it was chosen, for the report. */
  reason: "given" | "contains-fake" | "second-label";
}

/** Parameters of resolveFakeLabel. */
export interface ResolveFakeLabelParams {
  /** labels.json, in output order. */
  labels: readonly string[];
  /** --fake-label (or the export's decision label); matched exactly, then case-insensitively. */
  requested?: string;
  /** The project file's fakeLabel: used when nothing is requested. */
  projectSetting?: string;
}

/** How to name the fake label: a flag on the command line, the project file's setting (a command in the editor). */
const NAME_IT: HintPart[] = [{ cliOnly: "with --fake-label, or " }, "with fakeLabel in deepfake-studio.json", { editorOnly: " (" }, { step: "fake-label" }, { editorOnly: ")" }, "."];

/** Picks the fake label; throws StudioError listing the labels when the requested one does not exist or is ambiguous. */
export function resolveFakeLabel(params: ResolveFakeLabelParams): FakeLabel {
  const { labels } = params;
  const list = labels.map((label) => `"${label}"`).join(", ");
  const requested = params.requested ?? params.projectSetting;
  if (requested !== undefined) {
    let index = labels.indexOf(requested);
    if (index < 0) {
      const folded = labels.flatMap((label, i) => (label.toLowerCase() === requested.trim().toLowerCase() ? [i] : []));
      index = folded.length === 1 ? folded[0] : -1;
    }
    if (index < 0) {
      const fromProject = params.requested === undefined;
      throw new StudioError(`The model has no label "${requested}"${fromProject ? " (fakeLabel in deepfake-studio.json)" : ""}; its labels are ${list}.`, "fake-label-unknown",
        fromProject ? ["Name one of them ", ...NAME_IT] : ["Pass one of them with --fake-label."]);
    }
    return { label: labels[index], index, reason: "given" };
  }
  const fakes = labels.flatMap((label, i) => (/fake/i.test(label) ? [i] : []));
  if (fakes.length === 1) return { label: labels[fakes[0]], index: fakes[0], reason: "contains-fake" };
  if (fakes.length > 1) {
    throw new StudioError(`More than one of the model's labels contains "fake" (${fakes.map((i) => `"${labels[i]}"`).join(", ")}), so it is unclear which one means manipulated.`, "fake-label-ambiguous", ["Name it ", ...NAME_IT]);
  }
  if (labels.length < 2) throw new StudioError(`The model has only the label(s) ${list}; a detector needs a real and a fake label.`, "fake-label-unknown");
  return { label: labels[1], index: 1, reason: "second-label" };
}
