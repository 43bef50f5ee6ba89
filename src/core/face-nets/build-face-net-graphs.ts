/**
 * face-api's SSD MobileNet v1, Tiny Face Detector and 68-point landmark net rebuilt as ONNX graphs, layer for layer
 * after face-api's own forward code (src/ssdMobilenetv1, src/tinyYolov2, src/faceFeatureExtractor), from its
 * shipped weights. Input: `image`, NCHW float32, already padded, resized and normalised (prepare-net-input.ts);
 * what follows the last convolution (box decoding, non-maximum suppression) stays in JS, as in face-api.
 */
import { encodeOnnxModel } from "../onnx/encode-onnx-model";
import { FaceNetLayers } from "./face-net-layers";
import type { FaceApiWeight } from "./read-face-api-weights";

/** mobileNetV1.ts's batch-norm epsilon. */
const SSD_EPSILON = 0.0010000000474974513;

/**
 * SSD MobileNet v1 (face-api runs it at 512×512): outputs `boxes` [N, anchors, 4] (encodings) and `classes`
 * [N, anchors, 3] (logits), 5118 anchors at 512. The input may be the top-left part of the 512 square only
 * (ssd-window.ts), so height and width are free.
 */
export function buildSsdGraph(weights: Map<string, FaceApiWeight>): Uint8Array {
  const net = new FaceNetLayers(weights);
  const pointwise = (x: string, prefix: string, stride = 1) =>
    net.clip(net.conv(x, net.weight(`${prefix}/weights`), { stride, bias: net.weight(`${prefix}/convolution_bn_offset`).data }), 0, 6);
  let out = pointwise("image", "MobilenetV1/Conv2d_0_pointwise", 2);
  let conv11 = out;
  for (let layer = 1; layer <= 13; layer++) {
    const prefix = `MobilenetV1/Conv2d_${layer}_depthwise`;
    const [gamma, beta, mean, variance] = ["gamma", "beta", "moving_mean", "moving_variance"].map((name) => net.weight(`${prefix}/BatchNorm/${name}`).data);
    const scale = gamma.map((g, c) => g / Math.sqrt(variance[c] + SSD_EPSILON));
    const bias = beta.map((b, c) => b - mean[c] * scale[c]);
    out = net.clip(net.depthwise(out, net.weight(`${prefix}/depthwise_weights`), { stride: [2, 4, 6, 12].includes(layer) ? 2 : 1, scale, bias }), 0, 6);
    out = pointwise(out, `MobilenetV1/Conv2d_${layer}_pointwise`);
    if (layer === 11) conv11 = out;
  }
  const extra: string[] = [];
  let x = out;
  for (let layer = 0; layer < 8; layer++) extra.push((x = pointwise(x, `Prediction/Conv2d_${layer}_pointwise`, layer % 2 ? 2 : 1)));
  const sources = [conv11, out, extra[1], extra[3], extra[5], extra[7]];
  const predict = (kind: "BoxEncodingPredictor" | "ClassPredictor", last: number) => sources.map((source, i) =>
    net.flattenNhwc(net.conv(source, net.weight(`Prediction/BoxPredictor_${i}/${kind}/weights`), { bias: net.weight(`Prediction/BoxPredictor_${i}/${kind}/biases`).data }), last));
  net.builder.addNamedNode("Concat", predict("BoxEncodingPredictor", 4), net.builder.uniqueName("boxes"), { axis: { i: 1 } });
  net.builder.addNamedNode("Concat", predict("ClassPredictor", 3), net.builder.uniqueName("classes"), { axis: { i: 1 } });
  return encode(net, "ssd_mobilenetv1", ["height", "width"], [{ name: "boxes", dims: ["batch", "anchors", 4] }, { name: "classes", dims: ["batch", "anchors", 3] }]);
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
  return encode(net, "tiny_face_detector", "side", [{ name: "grid", dims: ["batch", 25, "cells", "cells"] }]);
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
  return encode(net, "face_landmark_68", 112, [{ name: "landmarks", dims: ["batch", 136] }]);
}

function encode(net: FaceNetLayers, graphName: string, side: number | string | [string, string], outputs: Array<{ name: string; dims: (number | string)[] }>): Uint8Array {
  return encodeOnnxModel({
    builder: net.builder,
    graphName,
    inputs: [{ name: "image", dims: ["batch", 3, ...(Array.isArray(side) ? side : [side, side])] }],
    outputs,
    metadata: { source: `@vladmandic/face-api ${graphName}` },
  });
}
