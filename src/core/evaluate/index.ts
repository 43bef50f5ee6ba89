/** Public API of evaluate: labelled folders of held-out pictures → honest numbers, charts and a threshold. */
export { bootstrapAucInterval, DEFAULT_BOOTSTRAP, type BootstrapInterval, type BootstrapIntervalParams } from "./bootstrap-interval";
export { calibration, DEFAULT_CALIBRATION_BINS, type Calibration, type CalibrationBin, type CalibrationParams } from "./calibration";
export { confusionMatrix, type ConfusionMatrixParams } from "./confusion-matrix";
export type { Confusion } from "./confusion-types";
export { defaultEvaluationDir, projectProtectedDirs } from "./default-evaluation-dir";
export { evaluateFolder, type EvaluateFolderParams } from "./evaluate-folder";
export type { EvaluatedPicture, Evaluation, EvaluationFiles, LabelCount, UnscoredPicture } from "./evaluation-types";
export { listLabelledFolders, type LabelledFolder } from "./list-labelled-folders";
export { EVALUATION_FOLDER_NAME, findLatestEvaluation, readEvaluation, type StoredEvaluation } from "./read-evaluation";
export { renderReliabilitySvg } from "./render-reliability-svg";
export { renderRocSvg, type OperatingPoint } from "./render-roc-svg";
export { createAucScorer, rocAuc } from "./roc-auc";
export { rocCurve, type RocPoint } from "./roc-curve";
export { DEFAULT_MAX_FPR, thresholdForFpr, type FprThreshold } from "../shared/threshold-for-fpr";
export { EVALUATION_JSON, writeEvaluationReport } from "./write-evaluation-report";
