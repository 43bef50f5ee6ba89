/** Public API of export: a training run → a portable, verified ONNX + JSON folder with a model card. */
export { exportModel, DEFAULT_EXPORT_FOLDER, type ExportModelParams, type ExportResult } from "./export-model";
export { ExportError } from "./export-errors";
export { decisionSchema, describeSchemaIssue, EXPORT_FILES, EXPORT_METADATA_KEYS, exportPreprocessSchema, labelsSchema, preprocessSchema, type DecisionThreshold } from "./export-format";
export { findRun, RUNS_FOLDER_NAME, type FoundRun } from "./find-run";
export { loadRunBackbone, type LoadRunBackboneParams } from "./load-run-backbone";
export { readRun, type RunFiles } from "./read-run";
export { renderModelCard, type ModelCardInput } from "./render-model-card";
export { replaceFolder, PREVIOUS_SUFFIX } from "./replace-folder";
