/** Parses ONNX bytes back into plain objects (for checks, tests and reading an exported model's metadata). */
import { onnxModelType, type OnnxModel } from "./onnx-schema";
import { OnnxExportError } from "./onnx-errors";

/** Decodes ModelProto bytes; int64 fields come back as numbers, raw tensor bytes as Uint8Array. */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  const type = onnxModelType();
  try {
    return type.toObject(type.decode(bytes), { longs: Number }) as OnnxModel;
  } catch (error) {
    throw new OnnxExportError(`The file is not a readable ONNX model: ${(error as Error).message}`, "onnx-invalid-params",
      "Re-export the model; the file may be truncated or not ONNX at all.");
  }
}
