/** Public API of predict: image files → model input (shared with training), and an export folder → predictions. */
export { expandInputs, type InputFile } from "../shared/expand-inputs";
export { loadExport, type LoadedExport } from "./load-export";
export { decodeImagePixels, type DecodedPixels, type DecodeImagePixelsParams } from "../shared/decode-image-pixels";
export { loadImageTensor, type LoadImageTensorParams } from "../shared/load-image-tensor";
export { predict, type Prediction, type PredictionError, type PredictParams, type PredictResult } from "./predict";
export { ImageReadError, type ImageReadReason } from "../shared/image-read-error";
export { InvalidExportError } from "./predict-errors";
export { decideLabel, type DecideLabelParams } from "./decide-label";
