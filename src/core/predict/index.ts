/** Public API of predict: image files → model input (shared with training), and an export folder → predictions. */
export { expandInputs, type InputFile } from "./expand-inputs";
export { loadExport, type LoadedExport } from "./load-export";
export { decodeImagePixels, type DecodedPixels, type DecodeImagePixelsParams } from "./decode-image-pixels";
export { loadImageTensor, type LoadImageTensorParams } from "./load-image-tensor";
export { predict, type Prediction, type PredictionError, type PredictParams, type PredictResult } from "./predict";
export { ImageReadError, InvalidExportError, type ImageReadReason } from "./predict-errors";
export { decideLabel, type DecideLabelParams } from "./decide-label";
