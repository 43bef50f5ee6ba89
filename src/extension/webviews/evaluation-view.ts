/** The evaluation panel's view of a core evaluation, without VS Code: only what it draws, bounded in size. */
import * as path from "node:path";
import type { Confusion } from "../../core/evaluate/confusion-types";
import type { Evaluation } from "../../core/evaluate/evaluation-types";
import { MAX_ROC_POINTS, MAX_UNSCORED, type ConfusionView, type EvaluationView } from "../../shared/evaluation-protocol";

export function evaluationViewOf(evaluation: Evaluation): EvaluationView {
  const { counts, current, aucInterval, atMaxFpr } = evaluation;
  return {
    title: evaluation.folders.map((folder) => path.basename(folder)).join(", "),
    fakeLabel: evaluation.fakeLabel.label,
    model: `${evaluation.model.dir}${evaluation.model.runId ? ` (run ${evaluation.model.runId})` : ""}`,
    counts: { scored: counts.scored, fake: counts.fake, real: counts.real, noFace: counts.noFace, unreadable: counts.unreadable },
    accuracy: evaluation.accuracy,
    balancedAccuracy: evaluation.balancedAccuracy,
    current: { rule: current.rule, ...(current.threshold !== undefined ? { threshold: current.threshold } : {}), confusion: confusionView(current.confusion) },
    auc: evaluation.auc !== null && aucInterval ? { value: evaluation.auc, low: aucInterval.low, high: aucInterval.high, level: aucInterval.level, resamples: aucInterval.resamples } : null,
    atMaxFpr: atMaxFpr ? { maxFpr: atMaxFpr.maxFpr, threshold: atMaxFpr.threshold, fpr: atMaxFpr.fpr, tpr: atMaxFpr.tpr, confusion: confusionView(atMaxFpr.confusion) } : null,
    ece: evaluation.calibration.ece,
    roc: thin(evaluation.roc.map((point): [number, number] => [point.fpr, point.tpr])),
    bins: evaluation.calibration.bins.map(({ from, to, count, meanScore, fractionFake }) => ({ from, to, count, meanScore, fractionFake })),
    unscored: evaluation.unscored.slice(0, MAX_UNSCORED).map((entry) => ({ fileName: path.basename(entry.file), label: entry.label, reason: entry.reason })),
    unscoredMore: Math.max(0, evaluation.unscored.length - MAX_UNSCORED),
    warnings: evaluation.warnings.slice(0, 50),
    hasReport: evaluation.files !== undefined,
    canExportThreshold: thresholdExportOf(evaluation) !== undefined,
  };
}

/**
 * What Export Model needs to record this evaluation's threshold (export --max-fpr): its run, rate and folder; undefined
 * when it has none to give (not written, no run recorded, no real pictures). Export reads the evaluation back itself.
 */
export function thresholdExportOf(evaluation: Evaluation): { runId: string; maxFpr: number; evaluationDir: string } | undefined {
  const { files, atMaxFpr, model } = evaluation;
  return files && atMaxFpr && model.runId ? { runId: model.runId, maxFpr: atMaxFpr.maxFpr, evaluationDir: files.dir } : undefined;
}

function confusionView(confusion: Confusion): ConfusionView {
  const { truePositives, falsePositives, trueNegatives, falseNegatives, tpr, fpr } = confusion;
  return { truePositives, falsePositives, trueNegatives, falseNegatives, tpr, fpr };
}

/** A long curve keeps every MAX_ROC_POINTS-th point plus the last: the chart is 500 pixels wide. */
function thin(points: Array<[number, number]>): Array<[number, number]> {
  if (points.length <= MAX_ROC_POINTS) return points;
  const step = Math.ceil(points.length / MAX_ROC_POINTS);
  return [...points.filter((_, i) => i % step === 0), points[points.length - 1]];
}
