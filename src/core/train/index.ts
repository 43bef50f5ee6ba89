/** Public API of training: train a head on cached backbone features, find a learning rate, list runs. */
export { openBackboneFeatures, type BackboneFeatureInfo, type BackboneFeatures, type OpenBackboneFeaturesParams } from "./backbone-features";
export { decodeTrainingImage, UnreadableImageError, type DecodeTrainingImageParams } from "./decode-training-image";
export { STUDIO_STATE_FOLDER } from "./feature-cache";
export { listRuns, type RunSummary } from "./list-runs";
export { listTrainingImages, type TrainingImage } from "../dataset/list-training-images";
export { lrFind, type LrFindParams, type LrFindResult } from "./lr-find";
export { MIN_IMAGES_PER_CATEGORY, prepareTrainingData, type PreparedData, type PreparedItem, type PrepareTrainingDataParams } from "./prepare-training-data";
export { randomSplitter, type Split } from "./random-splitter";
export type { EpochRecord, Preprocess, RunBackbone, RunHead, RunMetrics, RunPrediction } from "./run-files";
export { train, type RunRecord, type TrainParams, type TrainResult } from "./train";
export { DatasetTooLargeError, TrainingDataError, TrainSettingsError } from "./train-errors";
export { RUNS_FOLDER_NAME } from "./write-run";
