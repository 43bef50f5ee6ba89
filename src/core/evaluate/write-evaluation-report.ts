/**
 * Writes an evaluation folder: evaluation.json (every number and every picture's score), report.md to read, and the
 * ROC curve (with both classes) and reliability diagram as SVG and PNG. Assembled next to its destination and renamed
 * into place, so a report is never half-written. A folder that already holds anything is refused (an earlier evaluation is never
 * replaced), and so is any folder inside the project's data, runs or export or the pictures under evaluation.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { describeFsError, StudioError } from "../shared/errors";
import type { Confusion } from "./confusion-types";
import type { Evaluation, EvaluationFiles } from "./evaluation-types";
import { renderReliabilitySvg } from "./render-reliability-svg";
import { renderRocSvg } from "./render-roc-svg";

/** Parameters of writeEvaluationReport. */
export interface WriteEvaluationReportParams {
  dir: string;
  evaluation: Evaluation;
  /** Folders the report must not be written into. */
  protectedDirs?: readonly string[];
}

export const EVALUATION_JSON = "evaluation.json";

/** Writes the folder; returns the evaluation with `files` set. */
export async function writeEvaluationReport(params: WriteEvaluationReportParams): Promise<Evaluation> {
  const dir = path.resolve(params.dir);
  await refuseFolder(dir, params.protectedDirs ?? []);
  const staging = path.join(path.dirname(dir), `.${path.basename(dir)}.tmp-${randomBytes(4).toString("hex")}`);
  const roc = rocSvgOf(params.evaluation);
  const files: EvaluationFiles = {
    dir,
    json: path.join(dir, EVALUATION_JSON),
    markdown: path.join(dir, "report.md"),
    ...(roc !== undefined ? { rocSvg: path.join(dir, "roc.svg"), rocPng: path.join(dir, "roc.png") } : {}),
    calibrationSvg: path.join(dir, "calibration.svg"),
    calibrationPng: path.join(dir, "calibration.png"),
  };
  const evaluation: Evaluation = { ...params.evaluation, files };
  try {
    await fs.mkdir(staging, { recursive: true });
    const charts: Array<[string, string]> = [[files.calibrationSvg, renderReliabilitySvg({ calibration: evaluation.calibration, fakeLabel: evaluation.fakeLabel.label })]];
    if (roc !== undefined && files.rocSvg) charts.unshift([files.rocSvg, roc]);
    for (const [file, svg] of charts) {
      const name = path.basename(file);
      await fs.writeFile(path.join(staging, name), svg);
      await sharp(Buffer.from(svg)).png().toFile(path.join(staging, name.replace(/\.svg$/, ".png")));
    }
    await fs.writeFile(path.join(staging, "report.md"), renderEvaluationMarkdown(evaluation));
    await fs.writeFile(path.join(staging, EVALUATION_JSON), `${JSON.stringify(evaluation, null, 2)}\n`);
    // An empty folder (made by the user for it) is replaced; anything else was refused above.
    await fs.rmdir(dir).catch(() => undefined);
    await fs.rename(staging, dir);
    return evaluation;
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw describeFsError(error, dir);
  }
}

/** The ROC chart of an evaluation, with the threshold for the target FPR and the current decision marked; none with one class. */
export function rocSvgOf(evaluation: Evaluation): string | undefined {
  const { atMaxFpr, current, auc } = evaluation;
  if (auc === null) return undefined;
  const points: Array<{ name: string; threshold: number; fpr: number; tpr: number }> = [];
  if (atMaxFpr && atMaxFpr.tpr !== null) points.push({ name: `FPR ≤ ${pct(atMaxFpr.maxFpr)}`, threshold: atMaxFpr.threshold, fpr: atMaxFpr.fpr, tpr: atMaxFpr.tpr });
  if (current.confusion.fpr !== null && current.confusion.tpr !== null) {
    points.push({ name: current.rule === "export-threshold" ? "export's threshold" : "arg-max (today)", threshold: current.threshold ?? 0.5, fpr: current.confusion.fpr, tpr: current.confusion.tpr });
  }
  return renderRocSvg({ points: evaluation.roc, auc, interval: evaluation.aucInterval ?? undefined, fakeLabel: evaluation.fakeLabel.label, positives: evaluation.counts.fake, negatives: evaluation.counts.real, operatingPoints: points });
}

async function refuseFolder(dir: string, protectedDirs: readonly string[]): Promise<void> {
  const inside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
  const clash = protectedDirs.map((folder) => path.resolve(folder)).find((folder) => inside(dir, folder) || inside(folder, dir));
  if (clash) {
    throw new StudioError(`Refusing to write the evaluation into ${dir}: it is inside (or holds) ${clash}, which the evaluation must not change.`, "evaluation-out-refused",
      "Choose a folder of its own with -o, e.g. evaluation/test-set (the default is evaluation/<time>).");
  }
  const stat = await fs.lstat(dir).catch(() => undefined);
  if (!stat) return;
  if (!stat.isDirectory() || (await fs.readdir(dir)).length > 0) {
    throw new StudioError(`${dir} already exists and is not empty; an evaluation never replaces files.`, "evaluation-out-refused", "Choose a new folder with -o, or leave -o out for evaluation/<time>.");
  }
}

/** report.md: the headline numbers, the charts, both confusion matrices, calibration, counts and what was not scored. */
export function renderEvaluationMarkdown(evaluation: Evaluation): string {
  const { fakeLabel, counts, atMaxFpr, current, aucInterval, calibration } = evaluation;
  const fake = fakeLabel.label;
  const currentName = current.rule === "export-threshold" ? `the export's threshold ${num(current.threshold ?? 0)}` : "the largest probability (arg-max)";
  const lines = [
    `# Evaluation: "${fake}" vs the rest`,
    "",
    `${counts.scored} pictures scored (${counts.fake} "${fake}", ${counts.real} other) from ${evaluation.folders.map((folder) => `\`${folder}\``).join(", ")} with \`${evaluation.model.dir}\`${evaluation.model.runId ? ` (run ${evaluation.model.runId})` : ""} on ${evaluation.createdAt}.`,
    "These pictures must be ones the model never saw in training: numbers on training pictures say nothing about new ones.",
    "",
    "| measure | value |",
    "|---|---|",
    `| accuracy (${currentName}) | ${pctOrDash(evaluation.accuracy)} |`,
    `| balanced accuracy | ${pctOrDash(evaluation.balancedAccuracy)} |`,
    `| ROC AUC | ${evaluation.auc !== null && aucInterval ? `${num(evaluation.auc)} (${Math.round(aucInterval.level * 100)}% CI ${num(aucInterval.low)}–${num(aucInterval.high)}, ${aucInterval.resamples} stratified bootstrap resamples, seed ${aucInterval.seed})` : "– (needs both fake and real pictures)"} |`,
    atMaxFpr
      ? `| threshold for FPR ≤ ${pct(atMaxFpr.maxFpr)} | ${num(atMaxFpr.threshold)}: flags ${pct(atMaxFpr.fpr)} of real pictures (${atMaxFpr.falsePositives} of ${atMaxFpr.negatives}), ${atMaxFpr.tpr === null ? "fakes caught unknown (none given)" : `catches ${pct(atMaxFpr.tpr)} of fakes`} |`
      : "| threshold for a false-positive rate | – (needs real pictures) |",
    `| expected calibration error | ${num(calibration.ece)} (${calibration.bins.length} bins) |`,
    "",
    ...(evaluation.auc !== null ? ["![ROC curve](roc.png)", ""] : []),
    ...(atMaxFpr ? [`## Confusion matrix at the threshold for FPR ≤ ${pct(atMaxFpr.maxFpr)} (${num(atMaxFpr.threshold)})`, "", ...confusionTable(atMaxFpr.confusion, fake), ""] : []),
    `## Confusion matrix at the model's current decision (${currentName})`,
    "",
    ...confusionTable(current.confusion, fake),
    "",
    ...(atMaxFpr ? [`To make the model flag at this false-positive rate: \`deepfake-studio export --max-fpr ${atMaxFpr.maxFpr}\` (reads this evaluation), then predict, check and the Space decide with it.`, ""] : []),
    "## Calibration",
    "",
    "![Reliability diagram](calibration.png)",
    "",
    "| bin | pictures | mean score | share fake |",
    "|---|---|---|---|",
    ...calibration.bins.map((bin) => `| ${bin.from.toFixed(1)}–${bin.to.toFixed(1)} | ${bin.count} | ${bin.meanScore === null ? "–" : num(bin.meanScore)} | ${bin.fractionFake === null ? "–" : num(bin.fractionFake)} |`),
    "",
    "## Pictures per category",
    "",
    "| category | scored | no face | unreadable |",
    "|---|---|---|---|",
    ...counts.perLabel.map((row) => `| ${row.label}${row.fake ? " (fake)" : ""} | ${row.scored} | ${row.noFace} | ${row.unreadable} |`),
    "",
  ];
  if (evaluation.unscored.length > 0) {
    lines.push("## Not scored", "", "Listed so none is lost; they are not in the numbers above.", "");
    for (const entry of evaluation.unscored) lines.push(`- \`${entry.file}\` (${entry.label}): ${entry.reason === "no-face" ? "no face" : "unreadable"}: ${entry.error}`);
    lines.push("");
  }
  if (evaluation.warnings.length > 0) lines.push("## Warnings", "", ...evaluation.warnings.map((warning) => `- ${warning}`), "");
  return `${lines.join("\n")}\n`;
}

function confusionTable(confusion: Confusion, fake: string): string[] {
  return [
    `| | flagged "${fake}" | not flagged |`,
    "|---|---|---|",
    `| is "${fake}" | ${confusion.truePositives} | ${confusion.falseNegatives} |`,
    `| is not | ${confusion.falsePositives} | ${confusion.trueNegatives} |`,
    "",
    `True-positive rate ${pctOrDash(confusion.tpr)}, false-positive rate ${pctOrDash(confusion.fpr)}, precision ${pctOrDash(confusion.precision)}, accuracy ${pctOrDash(confusion.accuracy)}, balanced accuracy ${pctOrDash(confusion.balancedAccuracy)}.`,
  ];
}

const pct = (value: number): string => `${(value * 100).toFixed(1)}%`;
const pctOrDash = (value: number | null): string => (value === null ? "–" : pct(value));
const num = (value: number): string => value.toFixed(3);
