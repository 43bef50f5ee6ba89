/** `deepfake-studio evaluate <folder>…`: labelled held-out pictures → accuracy, AUC with its interval, a threshold, calibration, a report folder. */
import type { Command } from "commander";
import * as path from "node:path";
import { defaultEvaluationDir, projectProtectedDirs } from "../../core/evaluate/default-evaluation-dir";
import { evaluateFolder } from "../../core/evaluate/evaluate-folder";
import { DEFAULT_MAX_FPR } from "../../core/shared/threshold-for-fpr";
import type { Confusion } from "../../core/evaluate/confusion-types";
import type { Evaluation } from "../../core/evaluate/evaluation-types";
import { DEFAULT_BOOTSTRAP } from "../../core/evaluate/bootstrap-interval";
import { DEFAULT_EXPORT_FOLDER } from "../../core/export/export-model";
import { cliContext } from "../cli-context";
import { formatTable, parseNumber, printProgress } from "../output";
import { projectDirOf } from "./context";
import { readProjectFakeLabel } from "../../core/project/read-project-fake-label";

interface EvaluateOptions {
  model?: string;
  out?: string;
  maxFpr: number;
  fakeLabel?: string;
  resamples: number;
  seed: number;
  bins: number;
  json?: boolean;
}

/** Adds `evaluate <folders...>`. */
export function registerEvaluateCommand(program: Command): void {
  program
    .command("evaluate <folders...>")
    .description("score held-out pictures in folders with one sub-folder per category (e.g. test/Real, test/Deepfake) with an export and report accuracy, balanced accuracy, ROC AUC with a bootstrap 95% interval, the threshold for a target false-positive rate, confusion matrices and calibration; writes evaluation.json, report.md and ROC / reliability charts (SVG + PNG). Real pictures alone (e.g. footage of the protected person from another occasion) give the share flagged and the threshold for --max-fpr")
    .option("-m, --model <folder>", `the export folder (default: ${DEFAULT_EXPORT_FOLDER}/ in the project)`)
    .option("-o, --out <folder>", "report folder, new or empty (default: evaluation/<time> in the project)")
    .option("--max-fpr <rate>", "target false-positive rate for the suggested threshold", parseNumber, DEFAULT_MAX_FPR)
    .option("--fake-label <label>", 'the label that means manipulated (default: the export\'s decision label, else fakeLabel in the project file, else the one containing "fake", else the second)')
    .option("--resamples <n>", "bootstrap resamples for the AUC interval", parseNumber, DEFAULT_BOOTSTRAP.resamples)
    .option("--seed <n>", "bootstrap seed (same seed, same interval)", parseNumber, DEFAULT_BOOTSTRAP.seed)
    .option("--bins <n>", "calibration bins", parseNumber, 10)
    .option("--json", "print the whole evaluation as JSON")
    .action(async (folders: string[], options: EvaluateOptions, command: Command) => {
      const projectDir = projectDirOf(command);
      const modelDir = options.model === undefined ? path.join(projectDir, DEFAULT_EXPORT_FOLDER) : path.resolve(options.model);
      const outDir = options.out === undefined ? defaultEvaluationDir(projectDir) : path.resolve(options.out);
      const evaluation = await evaluateFolder({
        folders,
        modelDir,
        outDir,
        protectedDirs: await projectProtectedDirs(projectDir),
        fakeLabel: options.fakeLabel,
        projectFakeLabel: await readProjectFakeLabel(projectDir),
        maxFpr: options.maxFpr,
        resamples: options.resamples,
        seed: options.seed,
        bins: options.bins,
        onProgress: printProgress(),
        signal: cliContext.signal,
      });
      process.stdout.write(options.json ? `${JSON.stringify(evaluation, null, 2)}\n` : summary(evaluation));
    });
}

/** The summary table and where the report is. */
function summary(evaluation: Evaluation): string {
  const { counts, fakeLabel, atMaxFpr, current, aucInterval } = evaluation;
  const currentName = current.rule === "export-threshold" ? `export threshold ${num(current.threshold ?? 0)}` : "arg-max";
  const rows: Array<[string, string]> = [
    ["pictures", `${counts.scored} scored: ${counts.fake} "${fakeLabel.label}", ${counts.real} other${counts.noFace > 0 ? `; ${counts.noFace} without a face` : ""}${counts.unreadable > 0 ? `; ${counts.unreadable} unreadable` : ""}`],
    [`accuracy (${currentName})`, pct(evaluation.accuracy)],
    ["balanced accuracy", pct(evaluation.balancedAccuracy)],
    ["ROC AUC", evaluation.auc !== null && aucInterval ? `${num(evaluation.auc)} (${Math.round(aucInterval.level * 100)}% CI ${num(aucInterval.low)}–${num(aucInterval.high)})` : "– (needs fake and real pictures)"],
    ...(atMaxFpr
      ? ([
          [`threshold for FPR ≤ ${pct(atMaxFpr.maxFpr)}`, `${num(atMaxFpr.threshold)} (FPR ${pct(atMaxFpr.fpr)}, TPR ${pct(atMaxFpr.tpr)})`],
          [`  at that threshold`, confusionLine(atMaxFpr.confusion)],
        ] as Array<[string, string]>)
      : [["threshold for a false-positive rate", "– (needs real pictures)"] as [string, string]]),
    [`  at ${currentName}`, confusionLine(current.confusion)],
    ["calibration (ECE)", num(evaluation.calibration.ece)],
  ];
  const lines = [formatTable(["measure", "value"], rows)];
  for (const warning of evaluation.warnings) lines.push(`warning: ${warning}`);
  if (evaluation.files) lines.push(`report: ${path.relative(process.cwd(), evaluation.files.markdown) || evaluation.files.markdown} (charts: ${evaluation.files.rocPng ? "roc.png, " : ""}calibration.png)`);
  if (atMaxFpr) lines.push(`Next: deepfake-studio export --max-fpr ${atMaxFpr.maxFpr} records the threshold ${num(atMaxFpr.threshold)} in the export.`);
  return `${lines.join("\n")}\n`;
}

function confusionLine(confusion: Confusion): string {
  return `TP ${confusion.truePositives}  FP ${confusion.falsePositives}  TN ${confusion.trueNegatives}  FN ${confusion.falseNegatives}`;
}

const pct = (value: number | null): string => (value === null ? "–" : `${(value * 100).toFixed(1)}%`);
const num = (value: number): string => value.toFixed(3);
