/**
 * The SSD with int8 arithmetic, for measuring what quantisation would save (bench/face-crop.ts) — not the studio's
 * recipe: the crops it frames move past the reference-set guard (BENCHMARKS.md, "Stills, third round"). Every
 * convolution is a QLinearConv (uint8 activations, int8 weights with one scale per output channel, int32 bias), so
 * ONNX Runtime's CPU provider runs MLAS's integer kernels. Each ReLU6 output is quantised over its whole [0, 6] with
 * zero point 0, so QLinearConv's saturation at 0 and 255 is the clip itself (on the reference pictures 31 of the 35
 * layers reach 6, and ranges measured there gave the same boxes, so nothing is calibrated). The box and class
 * predictors stay float32, fed by a DequantizeLinear: their outputs are the box encodings the crops are framed from.
 */
import { emitSsdLayers, encodeFaceNet, SSD_OUTPUTS, type SsdConv } from "./build-face-net-graphs";
import { convAttributes, FaceNetLayers } from "./face-net-layers";
import type { FaceApiWeight } from "./read-face-api-weights";

/** The SSD's ReLU6 convolutions by SsdConv.name, input to output (the 12 predictors are float32 in any case). */
export const SSD_LAYER_NAMES: readonly string[] = [
  "conv0",
  ...Array.from({ length: 13 }, (_, i) => [`conv${i + 1}_depthwise`, `conv${i + 1}_pointwise`]).flat(),
  ...Array.from({ length: 8 }, (_, i) => `extra${i}`),
];

export interface SsdInt8Options {
  /**
   * Largest weight magnitude after quantisation (default 63, 7 bits): x86 CPUs without VNNI multiply u8 × s8 with
   * vpmaddubsw, which adds two 255 × 127 products into 16 bits and saturates past 32767; 63 keeps every pair below.
   * 127 (the full int8 range) is exact only on CPUs with VNNI or on ARM.
   */
  weightLevels?: number;
  /** Layers (SsdConv.name: "conv0", "conv7_pointwise" …) kept float32, between a DequantizeLinear and a QuantizeLinear. */
  floatLayers?: readonly string[];
}

/** A value of the graph as float32 and/or uint8 (with the scale and zero point that map it back), each written when first needed. */
interface MixedValue {
  float?: string;
  quantised?: { name: string; scale: string; zeroPoint: string; scaleValue: number };
  /** The range its uint8 form covers: [low, high] with low ≤ 0 ≤ high. */
  range: readonly [number, number];
}

/** face-api's SSD input, (pixel − 127.5) / 127.5, as uint8: one step per grey level. */
const INPUT_RANGE = [-128 / 127.5, 127 / 127.5] as const;
const RELU6_RANGE = [0, 6] as const;

/** The int8 SSD, with the float SSD's input and outputs (`image` float32 NCHW; `boxes`, `classes` float32). */
export function buildSsdInt8Graph(weights: Map<string, FaceApiWeight>, options: SsdInt8Options = {}): Uint8Array {
  const net = new FaceNetLayers(weights);
  const { builder } = net;
  const levels = options.weightLevels ?? 63;
  const values = new Map<string, MixedValue>();
  const zeroPoints = new Map<number, string>();
  const quantisation = (range: readonly [number, number]) => {
    const scaleValue = (range[1] - range[0]) / 255;
    const zero = Math.round(-range[0] / scaleValue);
    if (!zeroPoints.has(zero)) zeroPoints.set(zero, builder.addInteger(`zero_point/${zero}`, Uint8Array.of(zero), []));
    return { scale: builder.floatScalar(scaleValue), zeroPoint: zeroPoints.get(zero)!, scaleValue };
  };
  const remember = (value: MixedValue): string => {
    const name = value.float ?? value.quantised!.name;
    values.set(name, value);
    return name;
  };
  const asQuantised = (value: MixedValue) => {
    if (!value.quantised) {
      const q = quantisation(value.range);
      value.quantised = { name: net.op("QuantizeLinear", [value.float!, q.scale, q.zeroPoint]), ...q };
    }
    return value.quantised;
  };
  const asFloat = (value: MixedValue) => (value.float ??= net.op("DequantizeLinear", [value.quantised!.name, value.quantised!.scale, value.quantised!.zeroPoint]));

  remember({ float: "image", range: INPUT_RANGE });
  emitSsdLayers(net, "image", (x, conv) => {
    const source = values.get(x)!;
    if (!conv.relu6 || options.floatLayers?.includes(conv.name)) {
      const y = net.convNode(asFloat(source), conv.weights, conv.dims, conv.group, { stride: conv.stride, bias: conv.bias });
      return remember({ float: conv.relu6 ? net.clip(y, 0, 6) : y, range: RELU6_RANGE });
    }
    const input = asQuantised(source);
    const output = quantisation(RELU6_RANGE);
    const w = quantiseWeights(conv, levels);
    const channels = conv.dims[0];
    const bias = new Int32Array(channels).map((_, o) => Math.round(conv.bias[o] / (input.scaleValue * w.scales[o])));
    const name = builder.addNode("QLinearConv", [
      input.name, input.scale, input.zeroPoint,
      builder.addInteger("w", w.data, conv.dims), builder.addFloat("w_scale", w.scales, [channels]).name, builder.addInteger("w_zero_point", new Int8Array(channels), [channels]),
      output.scale, output.zeroPoint,
      builder.addInteger("b", bias, [channels]),
    ], "qconv", convAttributes(conv.dims, conv.group, { stride: conv.stride }));
    return remember({ quantised: { name, ...output }, range: RELU6_RANGE });
  });
  return encodeFaceNet(net, "ssd_mobilenetv1_int8", ["height", "width"], SSD_OUTPUTS);
}

/** Symmetric int8 weights per output channel: w ≈ q × scale[o], |q| ≤ levels. */
export function quantiseWeights(conv: SsdConv, levels: number): { data: Int8Array; scales: Float32Array } {
  const channels = conv.dims[0];
  const perChannel = conv.weights.length / channels;
  const data = new Int8Array(conv.weights.length);
  const scales = new Float32Array(channels);
  for (let o = 0; o < channels; o++) {
    const slice = conv.weights.subarray(o * perChannel, (o + 1) * perChannel);
    const largest = slice.reduce((m, w) => Math.max(m, Math.abs(w)), 0);
    scales[o] = largest > 0 ? largest / levels : 1;
    slice.forEach((w, i) => (data[o * perChannel + i] = Math.round(w / scales[o])));
  }
  return { data, scales };
}
