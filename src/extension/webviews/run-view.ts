/** The Training panel's view of a finished run, kept free of `vscode` so tests can build it from a real run's metrics. */
import { describeAudit } from "../../core/audit/describe-audit";
import { describeWhereItLooked } from "../../core/cam/describe-where-it-looked";
import { describeSameIdentityCheck } from "../../core/synthesize/blend-sensitivity";
import type { RunMetrics } from "../../core/train/run-files";
import type { RunView } from "../../shared/protocol";

/** The run view of a finished run's metrics.json. */
export function runViewOf(metrics: RunMetrics): RunView {
  return {
    runId: metrics.runId,
    status: "done",
    totalEpochs: metrics.epochs.length,
    epochs: metrics.epochs.map(({ epoch, trainLoss, validLoss, errorRate, seconds }) => ({ epoch, trainLoss, validLoss, errorRate, seconds })),
    errorRate: metrics.errorRate,
    ...(metrics.keptEpoch !== undefined ? { keptEpoch: metrics.keptEpoch } : {}),
    ...(metrics.audit ? { audit: describeAudit(metrics.audit) } : {}),
    ...(metrics.whereItLooked ? { whereItLooked: describeWhereItLooked(metrics.whereItLooked) } : {}),
    ...(metrics.sameIdentityBlends ? { sameIdentityBlends: describeSameIdentityCheck(metrics) } : {}),
    ...(typeof metrics.sameIdentityBlends?.share === "number" ? { sameIdentityBlendShare: metrics.sameIdentityBlends.share } : {}),
    confusion: metrics.confusion,
    counts: metrics.counts,
  };
}
