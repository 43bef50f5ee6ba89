/**
 * `evaluate`: scores every picture of labelled folders with an export (predict, so face-crop models crop as they
 * do in predict) and measures the fake-vs-real decision honestly: accuracy and balanced accuracy at the model's
 * current decision, the ROC AUC with a seeded stratified bootstrap interval, the ROC curve, the threshold for a
 * target false-positive rate with its confusion matrix, and calibration (reliability bins, ECE). Pictures with no
 * face or that cannot be read are counted and listed, never dropped silently. With `outDir` the report folder is written.
 * Real pictures alone are measured too (the share flagged, the threshold for a false-positive rate): someone protecting
 * one person often has real footage from another occasion and no fakes of them. Fakes alone give the share caught.
 */
import * as path from "node:path";
import { loadExport } from "../predict/load-export";
import { predict, type PredictResult } from "../predict/predict";
import { StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { resolveFakeLabel } from "../shared/resolve-fake-label";
import { bootstrapAucInterval, DEFAULT_BOOTSTRAP } from "./bootstrap-interval";
import { calibration, DEFAULT_CALIBRATION_BINS } from "./calibration";
import { confusionMatrix } from "./confusion-matrix";
import { EVALUATION_FORMAT, type EvaluatedPicture, type Evaluation, type LabelCount, type UnscoredPicture } from "./evaluation-types";
import { listLabelledFolders, type LabelledFolder } from "./list-labelled-folders";
import { rocAuc } from "./roc-auc";
import { rocCurve } from "./roc-curve";
import { DEFAULT_MAX_FPR, thresholdForFpr } from "../shared/threshold-for-fpr";
import { writeEvaluationReport } from "./write-evaluation-report";

/** Parameters of evaluateFolder. */
export interface EvaluateFolderParams extends OperationOptions {
  /** Folders with one sub-folder per category (or folders named like a category). */
  folders: string[];
  /** The export folder. */
  modelDir: string;
  /** The label that means manipulated (default: the export's decision label, else projectFakeLabel, else resolveFakeLabel's choice). */
  fakeLabel?: string;
  /** The project file's fakeLabel. */
  projectFakeLabel?: string;
  /** Target false-positive rate for the suggested threshold (default 0.05). */
  maxFpr?: number;
  /** Bootstrap resamples (default 2000) and seed (default 1). */
  resamples?: number;
  seed?: number;
  /** Calibration bins (default 10). */
  bins?: number;
  /** Where to write evaluation.json, report.md and the charts; nothing is written when omitted. */
  outDir?: string;
  /** Folders the report must never be written into (the project's data, runs and export). */
  protectedDirs?: string[];
  batchSize?: number;
  threads?: number;
}

export async function evaluateFolder(params: EvaluateFolderParams): Promise<Evaluation> {
  const started = performance.now();
  const { signal, onProgress } = params;
  const exported = await loadExport({ modelDir: params.modelDir });
  const fakeLabel = resolveFakeLabel({ labels: exported.labels, requested: params.fakeLabel ?? exported.decision?.label, projectSetting: params.projectFakeLabel });
  const { folders, looseFiles } = await listLabelledFolders({ folders: params.folders, labels: exported.labels });
  const warnings: string[] = [];
  if (looseFiles.length > 0) warnings.push(`${looseFiles.length} file(s) lie directly in the given folder(s), outside any category sub-folder, and were not scored (e.g. ${looseFiles[0]}).`);
  throwIfAborted(signal, "evaluation");

  onProgress?.({ event: "phase", phase: "evaluate", message: `Scoring the pictures in ${folders.length} labelled folder(s) with ${exported.modelDir}` });
  const results = await predict({ modelDir: params.modelDir, inputs: folders.map((folder) => folder.dir), batchSize: params.batchSize, threads: params.threads, signal, onProgress });
  const pictures: EvaluatedPicture[] = [];
  const unscored: UnscoredPicture[] = [];
  for (const result of results) {
    const label = labelOf(result.file, folders);
    if ("error" in result) unscored.push({ file: result.file, label, reason: result.reason === "no-face" ? "no-face" : "unreadable", error: result.error });
    else pictures.push({ file: result.file, label, fake: label === fakeLabel.label, probability: result.probabilities[fakeLabel.label], predicted: result.label });
  }
  const perLabel = countPerLabel(exported.labels, fakeLabel.label, folders, pictures, unscored);
  const noFace = unscored.filter((entry) => entry.reason === "no-face").length;
  if (noFace > 0) warnings.push(`${noFace} picture(s) show no face the model could score (it was trained on face crops); they are listed, not counted in the numbers.`);
  if (unscored.length > noFace) warnings.push(`${unscored.length - noFace} picture(s) could not be read; they are listed, not counted in the numbers.`);
  if (pictures.length === 0) throw new StudioError("None of the pictures could be scored.", "nothing-scored", "Pass folders of JPEG, PNG, WebP, GIF, TIFF or AVIF pictures (with a visible face for a face-crop model).");

  const scores = pictures.map((picture) => picture.probability);
  const positives = pictures.map((picture) => picture.fake);
  const binary = { scores, positives };
  const fakes = positives.filter(Boolean).length;
  const reals = positives.length - fakes;
  const bothClasses = fakes > 0 && reals > 0;
  if (!bothClasses) warnings.push(reals > 0
    ? `Only real pictures ("${fakeLabel.label}" has none): the share flagged and the threshold for a false-positive rate are measured; the AUC and the share of fakes caught need fakes too.`
    : "Only fake pictures: the share caught is measured; the AUC, false alarms and a threshold need real pictures too.");
  const auc = bothClasses ? rocAuc(binary) : null;
  if (bothClasses) onProgress?.({ event: "phase", phase: "bootstrap", message: `Bootstrapping the AUC interval (${params.resamples ?? DEFAULT_BOOTSTRAP.resamples} resamples)` });
  const aucInterval = bothClasses ? bootstrapAucInterval({ ...binary, resamples: params.resamples, seed: params.seed, signal, onProgress }) : null;
  const atMaxFpr = reals > 0 ? thresholdForFpr({ ...binary, maxFpr: params.maxFpr ?? DEFAULT_MAX_FPR }) : null;
  const current = confusionMatrix({ positives, flagged: pictures.map((picture) => picture.predicted === fakeLabel.label) });
  const decision = exported.decision?.label === fakeLabel.label ? exported.decision : undefined;
  const evaluation: Evaluation = {
    format: EVALUATION_FORMAT,
    createdAt: new Date().toISOString(),
    folders: params.folders.map((folder) => path.resolve(folder)),
    model: {
      dir: exported.modelDir,
      labels: exported.labels,
      ...(exported.metadata.run_id ? { runId: exported.metadata.run_id } : {}),
      ...(exported.metadata.backbone_id ? { backboneId: exported.metadata.backbone_id } : {}),
      ...(exported.decision ? { decision: exported.decision } : {}),
      faceCrop: exported.preprocess.faceCrop !== undefined,
    },
    fakeLabel,
    counts: { scored: pictures.length, fake: fakes, real: reals, noFace, unreadable: unscored.length - noFace, perLabel },
    accuracy: current.accuracy,
    balancedAccuracy: current.balancedAccuracy,
    current: decision ? { rule: "export-threshold", threshold: decision.threshold, confusion: current } : { rule: "arg-max", confusion: current },
    auc,
    aucInterval,
    roc: bothClasses ? rocCurve(binary) : [],
    atMaxFpr: atMaxFpr ? { ...atMaxFpr, confusion: confusionMatrix({ positives, flagged: scores.map((score) => score >= atMaxFpr.threshold) }) } : null,
    calibration: calibration({ ...binary, bins: params.bins ?? DEFAULT_CALIBRATION_BINS }),
    pictures,
    unscored,
    warnings,
    seconds: 0,
  };
  evaluation.seconds = (performance.now() - started) / 1000;
  if (params.outDir === undefined) return evaluation;
  throwIfAborted(signal, "evaluation");
  onProgress?.({ event: "phase", phase: "report", message: `Writing the evaluation to ${params.outDir}` });
  // Never inside the pictures under evaluation: a report folder there would be taken for a category next time.
  return writeEvaluationReport({ dir: params.outDir, evaluation, protectedDirs: [...(params.protectedDirs ?? []), exported.modelDir, ...evaluation.folders, ...folders.map((folder) => folder.dir)] });
}

/** The category of a scored file: the labelled folder it lies in (the deepest, should one hold another). */
function labelOf(file: string, folders: readonly LabelledFolder[]): string {
  const inside = folders.filter((folder) => file.startsWith(folder.dir + path.sep)).sort((a, b) => b.dir.length - a.dir.length);
  return (inside[0] ?? folders[0]).label;
}

function countPerLabel(labels: readonly string[], fake: string, folders: readonly LabelledFolder[], pictures: readonly EvaluatedPicture[], unscored: readonly UnscoredPicture[]): LabelCount[] {
  return labels.map((label) => ({
    label,
    fake: label === fake,
    folders: folders.filter((folder) => folder.label === label).map((folder) => folder.dir),
    scored: pictures.filter((picture) => picture.label === label).length,
    noFace: unscored.filter((entry) => entry.label === label && entry.reason === "no-face").length,
    unreadable: unscored.filter((entry) => entry.label === label && entry.reason === "unreadable").length,
  }));
}
