/**
 * The heavy core operations (gather, import, train, export, predict, Space, deploy), loaded on first use (see
 * core.ts), never at activation: the packaged extension bundles this file separately (out/dist/core-api.js).
 * Glue only; no logic here.
 */
export { gather } from "../core/gather/gather";
export { importFolder } from "../core/gather/import-folder";
export { importVideo } from "../core/gather/import-video";
export { train } from "../core/train/train";
export { lrFind } from "../core/train/lr-find";
export { writeOfflineBackbone } from "../core/backbone/write-offline-backbone";
export { cacheDir } from "../core/backbone/cache-dir";
export { OFFLINE_BACKBONE_ID } from "../core/backbone/known-backbones";
export { listAvailableEngines, listTorchBackbones, readProjectEngine, saveProjectEngine, saveProjectTorchBackbone } from "../core/train/engines/project-engine";
export { exportModel, DEFAULT_EXPORT_FOLDER } from "../core/export/export-model";
export { predict } from "../core/predict/predict";
export { computeRunMaps, describeRunMaps } from "../core/clean/run-maps";
export { checkMedia } from "../core/check/check-media";
export { evaluateFolder } from "../core/evaluate/evaluate-folder";
export { defaultEvaluationDir, projectProtectedDirs } from "../core/evaluate/default-evaluation-dir";
export { createSpace } from "../core/space/create-space";
export { previewSpaceExamples } from "../core/space/preview-space-examples";
export { planSpaceDeploy } from "../core/space/plan-space-deploy";
export { deploySpace } from "../core/hub/deploy-space";
