/** Serialises a built graph into ONNX ModelProto bytes. */
import type { OnnxGraphBuilder } from "./onnx-graph-builder";
import { OnnxDataType, onnxModelType, type OnnxModel, type OnnxValueInfo } from "./onnx-schema";

/** Opset 13 is old enough for every onnxruntime (web, node, Python) this project targets and has Clip/Pad with tensor inputs. */
export const ONNX_OPSET = 13;
/** IR version 7 is the one that goes with opset 13. */
export const ONNX_IR_VERSION = 7;

/** A float32 graph input or output: a fixed shape except for named (symbolic) dimensions such as "batch". */
export interface TensorSignature {
  name: string;
  dims: (number | string)[];
  docString?: string;
}

export interface EncodeOnnxModelParams {
  builder: OnnxGraphBuilder;
  graphName: string;
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  metadata: Record<string, string>;
  docString?: string;
}

/** Builds the ModelProto (opset 13, IR 7, producer deepfake-studio) and encodes it. */
export function encodeOnnxModel(params: EncodeOnnxModelParams): Uint8Array {
  const model: OnnxModel = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "deepfake-studio",
    docString: params.docString,
    graph: {
      name: params.graphName,
      ...params.builder.toGraphContent(),
      input: params.inputs.map(valueInfo),
      output: params.outputs.map(valueInfo),
    },
    metadataProps: Object.entries(params.metadata).map(([key, value]) => ({ key, value })),
  };
  const type = onnxModelType();
  return type.encode(type.fromObject(model)).finish();
}

/** ValueInfoProto for a float32 tensor. */
function valueInfo(signature: TensorSignature): OnnxValueInfo {
  const dim = signature.dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d }));
  return { name: signature.name, docString: signature.docString, type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim } } } };
}
