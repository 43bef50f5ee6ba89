/** The few layer kinds face-api's nets are made of, written as ONNX nodes (NCHW) from tfjs-layout weights. */
import { OnnxGraphBuilder, type OnnxAttributeValue } from "../onnx/onnx-graph-builder";
import type { FaceApiWeight } from "./read-face-api-weights";

/** tfjs's "same" padding puts the odd pixel after, as ONNX's SAME_UPPER does; "valid" pads nothing. */
export type Padding = "same" | "valid" | [number, number, number, number];

/** Builds a graph from named weights; every method returns the name of the value it wrote. */
export class FaceNetLayers {
  readonly builder = new OnnxGraphBuilder();

  constructor(private readonly weights: Map<string, FaceApiWeight>) {}

  /** A weight by name, or an error naming it (a face-api version with other names). */
  weight(name: string): FaceApiWeight {
    const found = this.weights.get(name);
    if (!found) throw new Error(`face-api's weights have no ${name}`);
    return found;
  }

  /** Conv2D with a [kh, kw, in, out] filter, optional per-channel scale (folded batch norm) and bias. */
  conv(x: string, filter: FaceApiWeight, options: { stride?: number; padding?: Padding; bias?: Float32Array; scale?: Float32Array } = {}): string {
    const { data, dims } = convWeights(filter, options.scale);
    return this.convNode(x, data, dims, 1, options);
  }

  /** Depthwise Conv2D with a [kh, kw, channels, 1] filter. */
  depthwise(x: string, filter: FaceApiWeight, options: { stride?: number; padding?: Padding; bias?: Float32Array; scale?: Float32Array } = {}): string {
    const { data, dims } = depthwiseWeights(filter, options.scale);
    return this.convNode(x, data, dims, dims[0], options);
  }

  /** tf.separableConv2d + bias: depthwise, then a 1×1 pointwise convolution carrying the bias. */
  separable(x: string, prefix: string, options: { stride?: number; padding?: Padding } = {}): string {
    const depth = this.depthwise(x, this.weight(`${prefix}/depthwise_filter`), options);
    return this.conv(depth, this.weight(`${prefix}/pointwise_filter`), { bias: this.weight(`${prefix}/bias`).data });
  }

  /** Elementwise op on two values (Add, Mul …) or one (Relu, Sigmoid …). */
  op(type: string, inputs: string[], attributes: Parameters<OnnxGraphBuilder["addNode"]>[3] = {}): string {
    return this.builder.addNode(type, inputs, type.toLowerCase(), attributes);
  }

  /** min(max(x, low), high), i.e. ReLU6 for (0, 6). */
  clip(x: string, low: number, high: number): string {
    return this.op("Clip", [x, this.builder.floatScalar(low), this.builder.floatScalar(high)]);
  }

  /** NCHW → [N, H·W·(C / last), last] in tfjs's NHWC order, as face-api reshapes its predictor outputs. */
  flattenNhwc(x: string, last: number): string {
    const nhwc = this.op("Transpose", [x], { perm: { ints: [0, 2, 3, 1] } });
    return this.op("Reshape", [nhwc, this.builder.addInt64("shape", [0, -1, last])]);
  }

  /** A Conv node from ONNX-layout weights ([out, in / group, kh, kw]). */
  convNode(x: string, w: Float32Array, dims: number[], group: number, options: { stride?: number; padding?: Padding; bias?: Float32Array }): string {
    const inputs = [x, this.builder.addFloat("w", w, dims).name];
    if (options.bias) inputs.push(this.builder.addFloat("b", Float32Array.from(options.bias), [dims[0]]).name);
    return this.builder.addNode("Conv", inputs, "conv", convAttributes(dims, group, options));
  }
}

/** Conv/QLinearConv attributes: kernel, stride, group and tfjs's padding. */
export function convAttributes(dims: number[], group: number, options: { stride?: number; padding?: Padding }): Record<string, OnnxAttributeValue> {
  const stride = options.stride ?? 1;
  const padding = options.padding ?? "same";
  const pad: Record<string, OnnxAttributeValue> = typeof padding === "string" ? { auto_pad: { s: padding === "same" ? "SAME_UPPER" : "VALID" } } : { pads: { ints: padding } };
  return { kernel_shape: { ints: dims.slice(2) }, strides: { ints: [stride, stride] }, group: { i: group }, ...pad };
}

/** A [kh, kw, in, out] tfjs filter in ONNX's [out, in, kh, kw] layout, each output channel times scale[o]. */
export function convWeights(filter: FaceApiWeight, scale?: Float32Array): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = filter.shape;
  const w = new Float32Array(cout * cin * kh * kw);
  for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) {
    w[((o * cin + i) * kh + y) * kw + z] = filter.data[((y * kw + z) * cin + i) * cout + o] * (scale?.[o] ?? 1);
  }
  return { data: w, dims: [cout, cin, kh, kw] };
}

/** A [kh, kw, channels, 1] tfjs depthwise filter in ONNX's [channels, 1, kh, kw] layout. */
export function depthwiseWeights(filter: FaceApiWeight, scale?: Float32Array): { data: Float32Array; dims: number[] } {
  const [kh, kw, channels] = filter.shape;
  const w = new Float32Array(channels * kh * kw);
  for (let c = 0; c < channels; c++) for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) {
    w[(c * kh + y) * kw + z] = filter.data[(y * kw + z) * channels + c] * (scale?.[c] ?? 1);
  }
  return { data: w, dims: [channels, 1, kh, kw] };
}
