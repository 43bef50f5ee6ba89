/**
 * The light part of the core (project file, dataset listing, runs, cleaning, token lookup): what the views need.
 * Loaded on first use (see core.ts); it never pulls in sharp, tfjs or onnxruntime, so views open fast.
 */
export { initProject, loadProjectConfig, parseProjectConfig, resolveDataDir, CONFIG_FILE_NAME } from "../core/project/project-config";
export { setTrainSetting } from "../core/project/set-train-setting";
export { setFakeLabel } from "../core/project/set-fake-label";
export { readProjectFakeLabel } from "../core/project/read-project-fake-label";
export { applyCleaning } from "../core/clean/apply-cleaning";
export { undoLastCleaning } from "../core/clean/undo-last-cleaning";
export { listTopLosses } from "../core/clean/list-top-losses";
export { TRASH_FOLDER_NAME, JOURNAL_FILE_NAME } from "../core/clean/cleaning-decision";
export { listTrainingImages } from "../core/dataset/list-training-images";
export { findRun, RUNS_FOLDER_NAME } from "../core/export/find-run";
export { findHfToken } from "../core/hub/find-hf-token";
export { labelToFolderName } from "../core/shared/labels";
export { trainReadiness } from "../core/dataset/train-readiness";
