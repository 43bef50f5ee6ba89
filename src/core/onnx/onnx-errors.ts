/** Errors the ONNX exporter and runner throw on purpose. */
import { StudioError } from "../shared/errors";

/** The model cannot be turned into ONNX as asked (unsupported layer, unknown tap, inconsistent head), or ONNX Runtime refused it. */
export class OnnxExportError extends StudioError {
  constructor(
    message: string,
    code: "onnx-unsupported-layer" | "onnx-unknown-tap" | "onnx-invalid-params" | "onnx-runtime-failed",
    hint?: string,
    /** The Keras layer involved, when there is one. */
    readonly layerName?: string,
  ) {
    super(message, code, hint);
  }
}
