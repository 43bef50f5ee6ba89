/** Accumulates ONNX nodes and initializers with unique names; the converter's only way to write graph content. */
import { OnnxAttributeType, OnnxDataType, type OnnxAttribute, type OnnxNode, type OnnxTensor } from "./onnx-schema";

/** An attribute value, tagged with its ONNX type because JS numbers cannot tell ints from floats. */
export type OnnxAttributeValue = { i: number } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string };

/** A float initializer kept mutable until encoding, so BatchNormalization can still be folded into it. */
export interface FloatInitializer {
  name: string;
  dims: number[];
  data: Float32Array;
}

interface Int64Initializer {
  name: string;
  dims: number[];
  data: BigInt64Array;
}

/** Integer initializers of quantised graphs: int8/uint8 weights and zero points, int32 biases. */
type IntegerData = Int8Array | Uint8Array | Int32Array;

interface IntegerInitializer {
  name: string;
  dims: number[];
  data: IntegerData;
}

/** Builds one ONNX GraphProto's nodes and initializers. */
export class OnnxGraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly floats: FloatInitializer[] = [];
  private readonly int64s: Int64Initializer[] = [];
  private readonly integers: IntegerInitializer[] = [];
  private readonly names = new Set<string>();
  private readonly scalarCache = new Map<number, string>();

  /** Reserves a value or node name that no earlier call returned (appends /1, /2 … on clashes). */
  uniqueName(base: string): string {
    let name = base;
    for (let n = 1; this.names.has(name); n++) name = `${base}/${n}`;
    this.names.add(name);
    return name;
  }

  /** Adds a float32 initializer and returns it; its data may still be changed until toGraphContent(). */
  addFloat(base: string, data: Float32Array, dims: number[]): FloatInitializer {
    checkElementCount(base, data.length, dims);
    const initializer = { name: this.uniqueName(base), dims, data };
    this.floats.push(initializer);
    return initializer;
  }

  /** A shared float32 scalar initializer (Clip bounds and the like). */
  floatScalar(value: number): string {
    let name = this.scalarCache.get(value);
    if (!name) {
      name = this.addFloat(`const/${value}`, Float32Array.of(value), []).name;
      this.scalarCache.set(value, name);
    }
    return name;
  }

  /** Adds a 1-D int64 initializer (Pad amounts, shapes) and returns its name. */
  addInt64(base: string, values: number[]): string {
    const initializer = { name: this.uniqueName(base), dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) };
    this.int64s.push(initializer);
    return initializer.name;
  }

  /** Adds an int8, uint8 or int32 initializer (quantised weights, zero points, biases) and returns its name. */
  addInteger(base: string, data: IntegerData, dims: number[]): string {
    checkElementCount(base, data.length, dims);
    const initializer = { name: this.uniqueName(base), dims, data };
    this.integers.push(initializer);
    return initializer.name;
  }

  /** Appends a node writing one new value named after `output`; returns that value's name. */
  addNode(opType: string, inputs: string[], output: string, attributes: Record<string, OnnxAttributeValue> = {}): string {
    const name = this.uniqueName(output);
    this.nodes.push({ opType, name, input: inputs, output: [name], attribute: Object.entries(attributes).map(([key, value]) => toAttribute(key, value)) });
    return name;
  }

  /** Appends a node writing several new values (DynamicQuantizeLinear's value, scale and zero point); returns their names. */
  addMultiOutputNode(opType: string, inputs: string[], outputs: string[], attributes: Record<string, OnnxAttributeValue> = {}): string[] {
    const names = outputs.map((output) => this.uniqueName(output));
    this.nodes.push({ opType, name: names[0], input: inputs, output: names, attribute: Object.entries(attributes).map(([key, value]) => toAttribute(key, value)) });
    return names;
  }

  /** Appends a node writing exactly `output`, a name reserved earlier with uniqueName (graph outputs such as `features`). */
  addNamedNode(opType: string, inputs: string[], output: string, attributes: Record<string, OnnxAttributeValue> = {}): string {
    this.nodes.push({ opType, name: output, input: inputs, output: [output], attribute: Object.entries(attributes).map(([key, value]) => toAttribute(key, value)) });
    return output;
  }

  /** The finished nodes and initializers, float data serialised as little-endian raw bytes. */
  toGraphContent(): { node: OnnxNode[]; initializer: OnnxTensor[] } {
    const initializer: OnnxTensor[] = [
      ...this.floats.map((t) => ({ name: t.name, dims: t.dims, dataType: OnnxDataType.FLOAT, rawData: littleEndianBytes(t.data) })),
      ...this.int64s.map((t) => ({ name: t.name, dims: t.dims, dataType: OnnxDataType.INT64, rawData: littleEndianBytes(t.data) })),
      ...this.integers.map((t) => ({ name: t.name, dims: t.dims, dataType: integerType(t.data), rawData: littleEndianBytes(t.data) })),
    ];
    return { node: this.nodes, initializer };
  }
}

/** Converts one tagged attribute value to an AttributeProto object. */
function toAttribute(name: string, value: OnnxAttributeValue): OnnxAttribute {
  if ("i" in value) return { name, type: OnnxAttributeType.INT, i: value.i };
  if ("f" in value) return { name, type: OnnxAttributeType.FLOAT, f: value.f };
  if ("ints" in value) return { name, type: OnnxAttributeType.INTS, ints: value.ints };
  if ("floats" in value) return { name, type: OnnxAttributeType.FLOATS, floats: value.floats };
  return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(value.s) };
}

function integerType(data: IntegerData): number {
  if (data instanceof Int8Array) return OnnxDataType.INT8;
  if (data instanceof Uint8Array) return OnnxDataType.UINT8;
  return OnnxDataType.INT32;
}

/** Guards against a shape/data mismatch, which ONNX Runtime would only report as an opaque load failure. */
function checkElementCount(name: string, length: number, dims: number[]): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== length) throw new Error(`Initializer ${name} has ${length} values but shape [${dims.join(", ")}] needs ${expected}.`);
}

const hostIsLittleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** TensorProto.raw_data must be little-endian; copy byte-swapped only on a big-endian host. */
function littleEndianBytes(data: Float32Array | BigInt64Array | IntegerData): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (hostIsLittleEndian) return bytes;
  const width = data.BYTES_PER_ELEMENT;
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) for (let j = 0; j < width; j++) swapped[i + j] = bytes[i + width - 1 - j];
  return swapped;
}
