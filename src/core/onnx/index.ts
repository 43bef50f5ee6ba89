/** ONNX export of tfjs backbones (+ head) and a small onnxruntime-node runner. */
export { convertLayersModel, ONNX_NAMES } from "./convert-layers-model";
export type { ConvertLayersModelParams, FeatureTap, HeadWeights, ImageInputSpec } from "./convert-layers-model";
export { createOnnxSession, runOnnx } from "./onnx-session";
export type { CreateOnnxSessionOptions, OnnxOutputs, OnnxSession } from "./onnx-session";
export { decodeOnnxModel } from "./decode-onnx-model";
export { ONNX_IR_VERSION, ONNX_OPSET } from "./encode-onnx-model";
export { OnnxExportError } from "./onnx-errors";
export type { OnnxModel } from "./onnx-schema";
