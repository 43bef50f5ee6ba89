/**
 * face-api's SSD MobileNet v1, Tiny Face Detector and 68-point landmark net rebuilt as ONNX graphs, layer for layer
 * after face-api's own forward code (src/ssdMobilenetv1, src/tinyYolov2, src/faceFeatureExtractor), from its
 * shipped weights. Input: `image`, NCHW float32, already padded, resized and normalised (prepare-net-input.ts);
 * what follows the last convolution (box decoding, non-maximum suppression) stays in JS, as in face-api.
 */
import { encodeOnnxModel } from "../onnx/encode-onnx-model";
import { convWeights, depthwiseWeights, FaceNetLayers } from "./face-net-layers";
import type { FaceApiWeight } from "./read-face-api-weights";

/** mobileNetV1.ts's batch-norm epsilon. */
const SSD_EPSILON = 0.0010000000474974513;

/** One of the SSD's convolutions in ONNX layout ([out, in / group, kh, kw]), its batch norm folded in. */
export interface SsdConv {
  /** A stable name ("conv0", "conv3_depthwise", "extra2", "box_1" …): ssd-int8.ts names the layers it keeps float32 by it. */
  name: string;
  weights: Float32Array;
  dims: number[];
  group: number;
  stride: number;
  bias: Float32Array;
  /** ReLU6 after it: every layer but the box and class predictors. */
  relu6: boolean;
}

/** Writes a convolution (and its ReLU6) reading value `x`; returns the value written, float32 for the predictors. */
export type SsdConvEmitter = (x: string, conv: SsdConv) => string;

/**
 * The SSD's layers after mobileNetV1.ts and predictionLayer.ts, each convolution written by `emit` (float32 Conv +
 * Clip, or int8 QLinearConv in ssd-int8.ts), the predictors' outputs flattened and concatenated into `boxes` and `classes`.
 */
export function emitSsdLayers(net: FaceNetLayers, input: string, emit: SsdConvEmitter): void {
  const pointwise = (x: string, prefix: string, name: string, stride = 1) => {
    const { data, dims } = convWeights(net.weight(`${prefix}/weights`));
    return emit(x, { name, weights: data, dims, group: 1, stride, bias: net.weight(`${prefix}/convolution_bn_offset`).data, relu6: true });
  };
  let out = pointwise(input, "MobilenetV1/Conv2d_0_pointwise", "conv0", 2);
  let conv11 = out;
  for (let layer = 1; layer <= 13; layer++) {
    const prefix = `MobilenetV1/Conv2d_${layer}_depthwise`;
    const [gamma, beta, mean, variance] = ["gamma", "beta", "moving_mean", "moving_variance"].map((name) => net.weight(`${prefix}/BatchNorm/${name}`).data);
    const scale = gamma.map((g, c) => g / Math.sqrt(variance[c] + SSD_EPSILON));
    const bias = beta.map((b, c) => b - mean[c] * scale[c]);
    const { data, dims } = depthwiseWeights(net.weight(`${prefix}/depthwise_weights`), scale);
    out = emit(out, { name: `conv${layer}_depthwise`, weights: data, dims, group: dims[0], stride: [2, 4, 6, 12].includes(layer) ? 2 : 1, bias, relu6: true });
    out = pointwise(out, `MobilenetV1/Conv2d_${layer}_pointwise`, `conv${layer}_pointwise`);
    if (layer === 11) conv11 = out;
  }
  const extra: string[] = [];
  let x = out;
  for (let layer = 0; layer < 8; layer++) extra.push((x = pointwise(x, `Prediction/Conv2d_${layer}_pointwise`, `extra${layer}`, layer % 2 ? 2 : 1)));
  const sources = [conv11, out, extra[1], extra[3], extra[5], extra[7]];
  const predict = (kind: "BoxEncodingPredictor" | "ClassPredictor", label: string, last: number) => sources.map((source, i) => {
    const { data, dims } = convWeights(net.weight(`Prediction/BoxPredictor_${i}/${kind}/weights`));
    const bias = net.weight(`Prediction/BoxPredictor_${i}/${kind}/biases`).data;
    return net.flattenNhwc(emit(source, { name: `${label}_${i}`, weights: data, dims, group: 1, stride: 1, bias, relu6: false }), last);
  });
  net.builder.addNamedNode("Concat", predict("BoxEncodingPredictor", "box", 4), net.builder.uniqueName("boxes"), { axis: { i: 1 } });
  net.builder.addNamedNode("Concat", predict("ClassPredictor", "class", 3), net.builder.uniqueName("classes"), { axis: { i: 1 } });
}

/** The SSD's two outputs, whatever its arithmetic. */
export const SSD_OUTPUTS: Array<{ name: string; dims: (number | string)[] }> = [{ name: "boxes", dims: ["batch", "anchors", 4] }, { name: "classes", dims: ["batch", "anchors", 3] }];

/**
 * SSD MobileNet v1 (face-api runs it at 512×512): outputs `boxes` [N, anchors, 4] (encodings) and `classes`
 * [N, anchors, 3] (logits), 5118 anchors at 512. The input may be the top-left part of the 512 square only
 * (ssd-window.ts), so height and width are free.
 */
export function buildSsdGraph(weights: Map<string, FaceApiWeight>): Uint8Array {
  const net = new FaceNetLayers(weights);
  emitSsdLayers(net, "image", (x, conv) => {
    const y = net.convNode(x, conv.weights, conv.dims, conv.group, { stride: conv.stride, bias: conv.bias });
    return conv.relu6 ? net.clip(y, 0, 6) : y;
  });
  return encodeFaceNet(net, "ssd_mobilenetv1", ["height", "width"], SSD_OUTPUTS);
}

/** Tiny Face Detector (a separable-convolution Tiny YOLO v2) at any input side divisible by 32: `grid` [N, 25, S/32, S/32]. */
export function buildTinyGraph(weights: Map<string, FaceApiWeight>): Uint8Array {
  const net = new FaceNetLayers(weights);
  const leaky = (x: string) => net.op("LeakyRelu", [x], { alpha: { f: 0.10000000149011612 } });
  const pool = (x: string, stride: number) => net.op("MaxPool", [x], { kernel_shape: { ints: [2, 2] }, strides: { ints: [stride, stride] }, auto_pad: { s: "SAME_UPPER" } });
  let out = leaky(net.conv("image", net.weight("conv0/filters"), { padding: "valid", bias: net.weight("conv0/bias").data }));
  for (let layer = 1; layer <= 5; layer++) out = leaky(net.separable(pool(out, 2), `conv${layer}`, { padding: [1, 1, 1, 1] }));
  out = pool(out, 1);
  const grid = net.conv(out, net.weight("conv8/filters"), { padding: "valid", bias: net.weight("conv8/bias").data });
  net.builder.addNamedNode("Identity", [grid], net.builder.uniqueName("grid"));
  return encodeFaceNet(net, "tiny_face_detector", "side", [{ name: "grid", dims: ["batch", 25, "cells", "cells"] }]);
}

/** The 68-point landmark net at 112×112: `landmarks` [N, 136], x and y interleaved, relative to the padded square. */
export function buildLandmarkGraph(weights: Map<string, FaceApiWeight>): Uint8Array {
  const net = new FaceNetLayers(weights);
  const relu = (x: string) => net.op("Relu", [x]);
  const add = (...xs: string[]) => xs.reduce((sum, x) => net.op("Add", [sum, x]));
  let out = "image";
  for (let block = 0; block < 4; block++) {
    const p = `dense${block}`;
    const out1 = relu(block === 0
      ? net.conv(out, net.weight(`${p}/conv0/filters`), { stride: 2, bias: net.weight(`${p}/conv0/bias`).data })
      : net.separable(out, `${p}/conv0`, { stride: 2 }));
    const out2 = net.separable(out1, `${p}/conv1`);
    const out3 = net.separable(relu(add(out1, out2)), `${p}/conv2`);
    const out4 = net.separable(relu(add(out1, out2, out3)), `${p}/conv3`);
    out = relu(add(out1, out2, out3, out4));
  }
  // avgPool 7×7 stride 2 "valid" on the 7×7 map is one global average.
  const pooled = net.op("Flatten", [net.op("GlobalAveragePool", [out])], { axis: { i: 1 } });
  const fc = net.weight("fc/weights");
  const gemm = net.op("Gemm", [pooled, net.builder.addFloat("fc", fc.data, fc.shape).name, net.builder.addFloat("fc_bias", net.weight("fc/bias").data, [136]).name]);
  net.builder.addNamedNode("Identity", [gemm], net.builder.uniqueName("landmarks"));
  return encodeFaceNet(net, "face_landmark_68", 112, [{ name: "landmarks", dims: ["batch", 136] }]);
}

/** The built graph as ONNX bytes, its input `image` NCHW float32 of the given side(s). */
export function encodeFaceNet(net: FaceNetLayers, graphName: string, side: number | string | [string, string], outputs: Array<{ name: string; dims: (number | string)[] }>): Uint8Array {
  return encodeOnnxModel({
    builder: net.builder,
    graphName,
    inputs: [{ name: "image", dims: ["batch", 3, ...(Array.isArray(side) ? side : [side, side])] }],
    outputs,
    metadata: { source: `@vladmandic/face-api ${graphName}` },
  });
}
