/**
 * The subset of the ONNX protobuf schema (onnx/onnx.proto, proto2) that the exporter writes and the tests read back.
 * It is built from a JSON descriptor in code, not from a .proto file, so bundlers need no asset.
 * Field numbers and packing follow onnx.proto exactly; field names are camelCase (names never reach the wire).
 */
import * as protobuf from "protobufjs";

/** TensorProto.DataType values used here. */
export const OnnxDataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

/** AttributeProto.AttributeType values used here. */
export const OnnxAttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** An int64 as protobufjs may hand it back (a Long when the `long` package is present, else a number). */
export type OnnxInt64 = number | { toNumber(): number };

export interface OnnxTensor {
  name?: string;
  dims?: OnnxInt64[];
  dataType?: number;
  floatData?: number[];
  int64Data?: OnnxInt64[];
  rawData?: Uint8Array;
}

export interface OnnxAttribute {
  name?: string;
  type?: number;
  f?: number;
  i?: OnnxInt64;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: OnnxInt64[];
  strings?: Uint8Array[];
}

export interface OnnxNode {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: OnnxAttribute[];
  docString?: string;
}

export interface OnnxDimension {
  dimValue?: OnnxInt64;
  dimParam?: string;
}

export interface OnnxValueInfo {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: OnnxDimension[] } } };
  docString?: string;
}

export interface OnnxGraph {
  node?: OnnxNode[];
  name?: string;
  initializer?: OnnxTensor[];
  docString?: string;
  input?: OnnxValueInfo[];
  output?: OnnxValueInfo[];
  valueInfo?: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion?: OnnxInt64;
  opsetImport?: { domain?: string; version?: OnnxInt64 }[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: OnnxInt64;
  docString?: string;
  graph?: OnnxGraph;
  metadataProps?: { key?: string; value?: string }[];
}

type Fields = Record<string, { id: number; type: string; rule?: "repeated"; options?: { packed: boolean } }>;

// proto2: repeated scalars are unpacked unless onnx.proto says [packed = true] (only TensorProto's *_data fields).
const unpacked = { packed: false };
const packed = { packed: true };

const tensorFields: Fields = {
  dims: { id: 1, type: "int64", rule: "repeated", options: unpacked },
  dataType: { id: 2, type: "int32" },
  floatData: { id: 4, type: "float", rule: "repeated", options: packed },
  int32Data: { id: 5, type: "int32", rule: "repeated", options: packed },
  stringData: { id: 6, type: "bytes", rule: "repeated" },
  int64Data: { id: 7, type: "int64", rule: "repeated", options: packed },
  name: { id: 8, type: "string" },
  rawData: { id: 9, type: "bytes" },
  doubleData: { id: 10, type: "double", rule: "repeated", options: packed },
  docString: { id: 12, type: "string" },
};

const descriptor: protobuf.INamespace = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: { id: 1, type: "string" }, value: { id: 2, type: "string" } } },
        OperatorSetIdProto: { fields: { domain: { id: 1, type: "string" }, version: { id: 2, type: "int64" } } },
        TensorProto: { fields: tensorFields },
        AttributeProto: {
          fields: {
            name: { id: 1, type: "string" },
            f: { id: 2, type: "float" },
            i: { id: 3, type: "int64" },
            s: { id: 4, type: "bytes" },
            t: { id: 5, type: "TensorProto" },
            g: { id: 6, type: "GraphProto" },
            floats: { id: 7, type: "float", rule: "repeated", options: unpacked },
            ints: { id: 8, type: "int64", rule: "repeated", options: unpacked },
            strings: { id: 9, type: "bytes", rule: "repeated" },
            tensors: { id: 10, type: "TensorProto", rule: "repeated" },
            graphs: { id: 11, type: "GraphProto", rule: "repeated" },
            docString: { id: 13, type: "string" },
            type: { id: 20, type: "int32" },
            refAttrName: { id: 21, type: "string" },
          },
        },
        NodeProto: {
          fields: {
            input: { id: 1, type: "string", rule: "repeated" },
            output: { id: 2, type: "string", rule: "repeated" },
            name: { id: 3, type: "string" },
            opType: { id: 4, type: "string" },
            attribute: { id: 5, type: "AttributeProto", rule: "repeated" },
            docString: { id: 6, type: "string" },
            domain: { id: 7, type: "string" },
          },
        },
        TensorShapeProto: {
          fields: { dim: { id: 1, type: "Dimension", rule: "repeated" } },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ["dimValue", "dimParam"] } },
              fields: {
                dimValue: { id: 1, type: "int64" },
                dimParam: { id: 2, type: "string" },
                denotation: { id: 3, type: "string" },
              },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ["tensorType"] } },
          fields: { tensorType: { id: 1, type: "Tensor" }, denotation: { id: 6, type: "string" } },
          nested: {
            Tensor: { fields: { elemType: { id: 1, type: "int32" }, shape: { id: 2, type: "TensorShapeProto" } } },
          },
        },
        ValueInfoProto: {
          fields: { name: { id: 1, type: "string" }, type: { id: 2, type: "TypeProto" }, docString: { id: 3, type: "string" } },
        },
        GraphProto: {
          fields: {
            node: { id: 1, type: "NodeProto", rule: "repeated" },
            name: { id: 2, type: "string" },
            initializer: { id: 5, type: "TensorProto", rule: "repeated" },
            docString: { id: 10, type: "string" },
            input: { id: 11, type: "ValueInfoProto", rule: "repeated" },
            output: { id: 12, type: "ValueInfoProto", rule: "repeated" },
            valueInfo: { id: 13, type: "ValueInfoProto", rule: "repeated" },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { id: 1, type: "int64" },
            producerName: { id: 2, type: "string" },
            producerVersion: { id: 3, type: "string" },
            domain: { id: 4, type: "string" },
            modelVersion: { id: 5, type: "int64" },
            docString: { id: 6, type: "string" },
            graph: { id: 7, type: "GraphProto" },
            opsetImport: { id: 8, type: "OperatorSetIdProto", rule: "repeated" },
            metadataProps: { id: 14, type: "StringStringEntryProto", rule: "repeated" },
          },
        },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;

/** The ModelProto message type, built once from the descriptor above. */
export function onnxModelType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(descriptor).lookupType("onnx.ModelProto");
  return modelType;
}
