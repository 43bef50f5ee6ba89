/**
 * ONNX export: small MobileNetV2-like tfjs models with seeded random weights are converted, run in onnxruntime-node
 * and compared with the same taps + pooling computed in tfjs. Optionally also the real nsfwjs MobileNetV2.
 */
import { innerFaceWindow } from "../src/core/shared/inner-face-window";
import { meanOfViews, renderTestTimeView, TEST_TIME_VIEWS } from "../src/core/shared/test-time-views";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LayersModel, SymbolicTensor, Tensor } from "@tensorflow/tfjs";
import { hasNsfwMobileNet, loadNsfwMobileNet } from "../bench/load-nsfw-mobilenet";
import {
  convertLayersModel, createOnnxSession, decodeOnnxModel, OnnxExportError, runOnnx,
  type FeatureTap, type HeadWeights, type OnnxSession,
} from "../src/core/onnx";
import { loadTensorflow, type Tf } from "../src/core/shared/tensorflow";
import { requireSystem } from "./support/require-system";

/** Deterministic uniform [0, 1) numbers (mulberry32). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Replaces every weight with seeded random values: kernels scaled by fan-in, BN statistics non-trivial and positive where needed. */
function randomizeWeights(tf: Tf, model: LayersModel, seed: number): void {
  const random = seededRandom(seed);
  const uniform = (size: number, low: number, high: number) => Float32Array.from({ length: size }, () => low + (high - low) * random());
  for (const layer of allLayers(model)) {
    const weights = layer.weights.map((variable) => {
      const shape = variable.shape as number[];
      const size = shape.reduce((a, b) => a * b, 1);
      const name = variable.originalName ?? variable.name;
      if (/moving_variance/.test(name)) return tf.tensor(uniform(size, 0.3, 2), shape);
      if (/gamma/.test(name)) return tf.tensor(uniform(size, 0.5, 1.5), shape);
      if (/beta|bias|moving_mean/.test(name)) return tf.tensor(uniform(size, -0.5, 0.5), shape);
      const fanIn = shape.length === 4 && /depthwise/.test(name) ? shape[0] * shape[1] : shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const limit = Math.sqrt(3 / fanIn) * 1.5;
      return tf.tensor(uniform(size, -limit, limit), shape);
    });
    if (weights.length > 0) layer.setWeights(weights);
    tf.dispose(weights);
  }
}

/** Layers of a model, descending into nested models. */
function allLayers(model: LayersModel): LayersModel["layers"] {
  return model.layers.flatMap((layer) => ("layers" in layer ? [layer, ...allLayers(layer as unknown as LayersModel)] : [layer]));
}

/** A small MobileNetV2-like model with Keras-style layer names. */
function miniMobileNet(tf: Tf, size: number): LayersModel {
  const { layers } = tf;
  const bn = (name: string) => layers.batchNormalization({ name, epsilon: 1e-3 });
  const relu6 = (name: string) => layers.reLU({ maxValue: 6, name });
  const input = tf.input({ shape: [size, size, 3], name: "input_1" });
  const chain = (x: SymbolicTensor, ...steps: { apply(x: SymbolicTensor): unknown }[]) => steps.reduce((acc, layer) => layer.apply(acc) as SymbolicTensor, x);
  let x = chain(input,
    layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: "Conv1_pad" }),
    layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: "valid", useBias: false, name: "Conv1" }), bn("bn_Conv1"), relu6("Conv1_relu"));
  const stem = x;
  x = chain(x,
    layers.depthwiseConv2d({ kernelSize: 3, padding: "same", useBias: false, name: "expanded_conv_depthwise" }), bn("expanded_conv_depthwise_BN"), relu6("expanded_conv_depthwise_relu"),
    layers.conv2d({ filters: 8, kernelSize: 1, useBias: false, name: "expanded_conv_project" }), bn("expanded_conv_project_BN"));
  x = layers.add({ name: "expanded_conv_add" }).apply([stem, x]) as SymbolicTensor;
  const block1 = chain(x,
    layers.conv2d({ filters: 24, kernelSize: 1, useBias: false, name: "block_1_expand" }), bn("block_1_expand_BN"), relu6("block_1_expand_relu"),
    layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: "block_1_pad" }),
    layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: "valid", useBias: false, name: "block_1_depthwise" }), bn("block_1_depthwise_BN"), relu6("block_1_depthwise_relu"),
    layers.conv2d({ filters: 12, kernelSize: 1, useBias: false, name: "block_1_project" }), bn("block_1_project_BN"));
  const block2 = chain(block1,
    layers.conv2d({ filters: 36, kernelSize: 1, useBias: false, name: "block_2_expand" }), bn("block_2_expand_BN"), relu6("block_2_expand_relu"),
    layers.depthwiseConv2d({ kernelSize: 3, padding: "same", useBias: false, name: "block_2_depthwise" }), bn("block_2_depthwise_BN"), relu6("block_2_depthwise_relu"),
    layers.conv2d({ filters: 12, kernelSize: 1, useBias: false, name: "block_2_project" }), bn("block_2_project_BN"));
  x = layers.add({ name: "block_2_add" }).apply([block1, block2]) as SymbolicTensor;
  // 'same' with stride 2 (TF pads the odd extra row/column at the bottom/right), a biased conv, Activation relu6, depth multiplier 2.
  x = chain(x,
    layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: "same", name: "block_3_conv" }), bn("block_3_conv_BN"), layers.activation({ activation: "relu6", name: "block_3_relu" }),
    layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: "same", depthMultiplier: 2, name: "block_3_depthwise" }), bn("block_3_depthwise_BN"), relu6("block_3_depthwise_relu"),
    layers.conv2d({ filters: 40, kernelSize: 1, useBias: false, name: "Conv_1" }), bn("Conv_1_bn"), relu6("out_relu"),
    layers.globalAveragePooling2d({ name: "global_average_pooling2d" }), layers.dropout({ rate: 0.5, name: "dropout" }),
    layers.dense({ units: 5, activation: "softmax", name: "predictions" }));
  return tf.model({ inputs: input, outputs: x, name: "mini_mobilenet_v2" });
}

/** The features tfjs computes for these taps: x*scale+offset, tap outputs, global avg/max pooling, concatenated. */
function tfjsFeatures(tf: Tf, model: LayersModel, taps: FeatureTap[], images: Tensor, scale: number, offset: number): Float32Array {
  return tf.tidy(() => {
    const tapModel = tf.model({ inputs: model.inputs, outputs: taps.map((tap) => model.getLayer(tap.layerName).output as SymbolicTensor) });
    const outputs = [tapModel.predict(images.mul(scale).add(offset))].flat() as Tensor[];
    const parts = taps.flatMap((tap, i) => tap.pooling.map((p) => {
      let map = outputs[i];
      if (p === "face-avg" || p === "face-max") {
        const { y0, y1, x0, x1 } = innerFaceWindow(map.shape[1] as number, map.shape[2] as number);
        map = map.slice([0, y0, x0, 0], [-1, y1 - y0, x1 - x0, -1]);
      }
      return p === "avg" || p === "face-avg" ? map.mean([1, 2]) : map.max([1, 2]);
    }));
    return tf.concat(parts, 1).dataSync() as Float32Array;
  });
}

/** Random 0..255 NHWC images. */
function randomImages(count: number, height: number, width: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: count * height * width * 3 }, () => Math.floor(random() * 256));
}

/** A Python that can `import onnx` (the PATH one, else Debian's python3-onnx in /usr/bin), if any. */
function pythonWithOnnx(): string | undefined {
  return ["python3", "/usr/bin/python3"].find((python) => {
    try {
      execFileSync(python, ["-c", "import onnx"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  });
}

/** Largest absolute difference. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "output lengths differ");
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Largest absolute value. */
function maxAbs(a: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]));
  return max;
}

/** Converts, opens in onnxruntime-node, runs; releases the session afterwards. */
async function runConverted(bytes: Uint8Array, images: Float32Array, count: number, size: number) {
  const session: OnnxSession = await createOnnxSession(bytes, { threads: 2 });
  try {
    return await runOnnx(session, images, count, size, size);
  } finally {
    await session.release();
  }
}

/** A random head over F features and C classes. */
function randomHead(features: number, classes: number, seed: number): HeadWeights {
  const random = seededRandom(seed);
  const uniform = (size: number, low: number, high: number) => Float32Array.from({ length: size }, () => low + (high - low) * random());
  return {
    mean: uniform(features, -1, 1), std: uniform(features, 0.2, 2), weights: uniform(features * classes, -0.05, 0.05), bias: uniform(classes, -0.2, 0.2),
    labels: Array.from({ length: classes }, (_, i) => `class_${i}`),
  };
}

/** Head probabilities computed in tfjs from features. */
function tfjsHead(tf: Tf, features: Float32Array, head: HeadWeights, count: number): Float32Array {
  return tf.tidy(() => {
    const classes = head.bias.length;
    const x = tf.tensor2d(features, [count, head.mean.length]).sub(tf.tensor1d(head.mean)).div(tf.tensor1d(head.std));
    return x.matMul(tf.tensor2d(head.weights, [head.mean.length, classes])).add(tf.tensor1d(head.bias)).softmax().dataSync() as Float32Array;
  });
}

describe("ONNX export (convertLayersModel)", function () {
  this.timeout(120_000);
  let tf: Tf;
  const scale = 1 / 127.5;
  const offset = -1;
  const taps: FeatureTap[] = [
    { layerName: "block_1_expand_relu", pooling: ["avg", "max"] },
    { layerName: "block_2_add", pooling: ["avg", "max"] },
    { layerName: "out_relu", pooling: ["max"] },
  ];

  before(async () => {
    tf = await loadTensorflow();
  });

  for (const size of [32, 30]) {
    it(`matches tfjs on a MobileNetV2-like model (${size}x${size}, taps with avg+max pooling)`, async () => {
      const model = miniMobileNet(tf, size);
      randomizeWeights(tf, model, 7 + size);
      const images = randomImages(3, size, size, 11);
      const bytes = await convertLayersModel({ model, outputs: taps, input: { height: size, width: size, scale, offset } });
      const { features } = await runConverted(bytes, images, 3, size);
      const expected = tfjsFeatures(tf, model, taps, tf.tensor4d(images, [3, size, size, 3]), scale, offset);
      assert.ok(features, "features output missing");
      assert.equal(features.length, 3 * (24 * 2 + 12 * 2 + 40));
      const relative = maxAbsDiff(features, expected) / maxAbs(expected);
      if (process.env.ONNX_TEST_VERBOSE) console.log(`      relative max diff ${relative.toExponential(2)}`);
      assert.ok(relative <= 1e-4, `relative max diff ${relative}`);
      model.dispose();
    });
  }

  it("pools the inner-face window like tfjs (face-avg, face-max), and the window sits inside the face", async () => {
    const model = miniMobileNet(tf, 32);
    randomizeWeights(tf, model, 41);
    const faceTaps: FeatureTap[] = [{ layerName: "block_1_expand_relu", pooling: ["avg", "face-avg", "face-max"] }, { layerName: "block_2_add", pooling: ["face-max"] }];
    const images = randomImages(2, 32, 32, 13);
    const bytes = await convertLayersModel({ model, outputs: faceTaps, input: { height: 32, width: 32, scale, offset } });
    const { features } = await runConverted(bytes, images, 2, 32);
    const expected = tfjsFeatures(tf, model, faceTaps, tf.tensor4d(images, [2, 32, 32, 3]), scale, offset);
    assert.ok(features);
    assert.equal(features.length, 2 * (24 * 3 + 12));
    assert.ok(maxAbsDiff(features, expected) / maxAbs(expected) <= 1e-4);
    // Face-window pooling differs from whole-map pooling (else the window would be the whole map).
    assert.ok(maxAbsDiff(features.subarray(0, 24), features.subarray(24, 48)) > 1e-3);
    // On the 28x28 stride-8 map of a 224 crop: rows 7-23, columns 6-21, the brows-to-mouth square.
    assert.deepEqual(innerFaceWindow(28, 28), { y0: 7, y1: 24, x0: 6, x1: 22 });
    model.dispose();
  });

  it("folds BatchNormalization and ZeroPadding into the convolutions", async () => {
    const model = miniMobileNet(tf, 32);
    const bytes = await convertLayersModel({ model, outputs: taps, input: { height: 32, width: 32, scale, offset } });
    const ops = decodeOnnxModel(bytes).graph?.node?.map((node) => node.opType) ?? [];
    assert.equal(ops.filter((op) => op === "BatchNormalization").length, 0);
    assert.equal(ops.filter((op) => op === "Pad").length, 0);
    assert.ok(ops.filter((op) => op === "Clip").length >= 8);
    model.dispose();
  });

  it("exports the model's final output with outputs: \"final\"", async () => {
    const model = miniMobileNet(tf, 32);
    randomizeWeights(tf, model, 3);
    const images = randomImages(2, 32, 32, 5);
    const bytes = await convertLayersModel({ model, outputs: "final", input: { height: 32, width: 32, scale, offset } });
    const { features } = await runConverted(bytes, images, 2, 32);
    const expected = (model.predict(tf.tensor4d(images, [2, 32, 32, 3]).mul(scale).add(offset)) as Tensor).dataSync();
    assert.ok(features);
    assert.ok(maxAbsDiff(features, expected) <= 1e-5, `max diff ${maxAbsDiff(features, expected)}`);
    model.dispose();
  });

  it("appends the head: standardise, dense, softmax → probabilities (and keeps features)", async () => {
    const model = miniMobileNet(tf, 32);
    randomizeWeights(tf, model, 21);
    const images = randomImages(4, 32, 32, 8);
    const featureCount = 24 * 2 + 12 * 2 + 40;
    const head = randomHead(featureCount, 3, 99);
    const bytes = await convertLayersModel({ model, outputs: taps, input: { height: 32, width: 32, scale, offset }, head });
    const { features, probabilities } = await runConverted(bytes, images, 4, 32);
    const expectedFeatures = tfjsFeatures(tf, model, taps, tf.tensor4d(images, [4, 32, 32, 3]), scale, offset);
    const expected = tfjsHead(tf, expectedFeatures, head, 4);
    assert.ok(features && probabilities);
    assert.equal(probabilities.length, 4 * 3);
    if (process.env.ONNX_TEST_VERBOSE) console.log(`      probabilities max diff ${maxAbsDiff(probabilities, expected).toExponential(2)} (${Array.from(expected.slice(0, 3), (p) => p.toFixed(3)).join(" ")} …)`);
    assert.ok(maxAbsDiff(probabilities, expected) <= 1e-4, `max diff ${maxAbsDiff(probabilities, expected)}`);
    assert.ok(maxAbsDiff(features, expectedFeatures) / maxAbs(expectedFeatures) <= 1e-4);
    model.dispose();
  });

  it("with test-time views: the softmax of the mean logits over the views made in TypeScript; features and maps are the plain picture's", async () => {
    const model = miniMobileNet(tf, 32);
    randomizeWeights(tf, model, 23);
    const count = 3;
    const images = randomImages(count, 32, 32, 17);
    const faceTaps: FeatureTap[] = [{ layerName: "block_1_expand_relu", pooling: ["face-avg", "face-max"] }, { layerName: "out_relu", pooling: ["avg"] }];
    const featureCount = 24 * 2 + 40;
    const head = randomHead(featureCount, 2, 5);
    const input = { height: 32, width: 32, scale, offset };
    const plainBytes = await convertLayersModel({ model, outputs: faceTaps, input, head, cam: true });
    const viewBytes = await convertLayersModel({ model, outputs: faceTaps, input, head, cam: true, testTimeViews: TEST_TIME_VIEWS });
    const session = await createOnnxSession(viewBytes, { threads: 2 });
    const plainSession = await createOnnxSession(plainBytes, { threads: 2 });
    try {
      const withViews = await runOnnx(session, images, count, 32, 32, { outputs: ["probabilities", "features", "cam"] });
      const plain = await runOnnx(plainSession, images, count, 32, 32, { outputs: ["probabilities", "features", "cam"] });
      const perView = TEST_TIME_VIEWS.map((view) => {
        const rendered = new Float32Array(images.length);
        for (let n = 0; n < count; n++) rendered.set(renderTestTimeView({ input: images.subarray(n * 32 * 32 * 3, (n + 1) * 32 * 32 * 3), height: 32, width: 32, view }), n * 32 * 32 * 3);
        return Float64Array.from(tfjsHead(tf, tfjsFeatures(tf, model, faceTaps, tf.tensor4d(rendered, [count, 32, 32, 3]), scale, offset), head, count), Math.log);
      });
      const expected = Array.from({ length: count }, (_, n) => Array.from(meanOfViews(perView.map((logP) => logP.subarray(n * 2, n * 2 + 2))), Math.exp)).flat();
      assert.ok(withViews.probabilities && plain.probabilities && withViews.features && plain.features && withViews.cam && plain.cam);
      assert.equal(withViews.probabilities.length, count * 2);
      assert.ok(maxAbsDiff(withViews.probabilities, expected) <= 1e-4, `views: max diff ${maxAbsDiff(withViews.probabilities, expected)}`);
      const logOdds = (probabilities: ArrayLike<number>) => Array.from({ length: count }, (_, n) => Math.log(probabilities[n * 2 + 1] / probabilities[n * 2]));
      assert.ok(maxAbsDiff(logOdds(plain.probabilities), logOdds(expected)) > 10 * maxAbsDiff(logOdds(withViews.probabilities), logOdds(expected)), `the views change the scores far more than the graph and TypeScript differ (else this test could not tell them apart): ${logOdds(plain.probabilities)} against ${logOdds(expected)}`);
      assert.ok(maxAbsDiff(withViews.features, plain.features) / maxAbs(plain.features) <= 1e-6, "features are the plain picture's");
      assert.equal(withViews.cam.length, plain.cam.length);
      assert.ok(maxAbsDiff(withViews.cam, plain.cam) / maxAbs(plain.cam) <= 1e-5, "maps are the plain picture's");
    } finally {
      await session.release();
      await plainSession.release();
    }
    // The mirror view is the picture mirrored, pixel for pixel.
    const mirrored = renderTestTimeView({ input: images.subarray(0, 32 * 32 * 3), height: 32, width: 32, view: { flip: true, zoom: 1 } });
    assert.equal(mirrored[(5 * 32 + 31) * 3 + 2], images[(5 * 32 + 0) * 3 + 2]);
    model.dispose();
  });

  it("lays features out like the tfjs extractor: no pooling means avg, vector taps are used as they are", async () => {
    const model = miniMobileNet(tf, 32);
    randomizeWeights(tf, model, 31);
    const images = randomImages(2, 32, 32, 32);
    const mixed: FeatureTap[] = [{ layerName: "block_2_add", pooling: [] }, { layerName: "global_average_pooling2d", pooling: ["max"] }];
    const bytes = await convertLayersModel({ model, outputs: mixed, input: { height: 32, width: 32, scale, offset } });
    const { features } = await runConverted(bytes, images, 2, 32);
    const expected = tf.tidy(() => {
      const tapModel = tf.model({ inputs: model.inputs, outputs: mixed.map((tap) => model.getLayer(tap.layerName).output as SymbolicTensor) });
      const [image, vector] = tapModel.predict(tf.tensor4d(images, [2, 32, 32, 3]).mul(scale).add(offset)) as Tensor[];
      return tf.concat([image.mean([1, 2]), vector], 1).dataSync();
    });
    assert.ok(features);
    assert.equal(features.length, 2 * (12 + 40));
    assert.ok(maxAbsDiff(features, expected) / maxAbs(expected) <= 1e-4);
    model.dispose();
  });

  it("prunes layers no tap needs", async () => {
    const model = miniMobileNet(tf, 32);
    randomizeWeights(tf, model, 4);
    const early: FeatureTap[] = [{ layerName: "block_1_expand_relu", pooling: ["avg"] }];
    const bytes = await convertLayersModel({ model, outputs: early, input: { height: 32, width: 32, scale: 1, offset: 0 } });
    const graph = decodeOnnxModel(bytes).graph;
    const names = [...(graph?.node ?? []).map((node) => node.name ?? ""), ...(graph?.initializer ?? []).map((t) => t.name ?? "")];
    assert.ok(names.some((name) => name.startsWith("block_1_expand")));
    assert.deepEqual(names.filter((name) => /block_1_depthwise|block_2|block_3|Conv_1|predictions/.test(name)), []);
    const images = randomImages(2, 32, 32, 6);
    const { features } = await runConverted(bytes, images, 2, 32);
    const expected = tfjsFeatures(tf, model, early, tf.tensor4d(images, [2, 32, 32, 3]), 1, 0);
    assert.ok(features && maxAbsDiff(features, expected) / maxAbs(expected) <= 1e-4);
    model.dispose();
  });

  it("names the layer and type of an unsupported layer, and only when a tap needs it", async () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", name: "conv" }).apply(input) as SymbolicTensor;
    const up = tf.layers.upSampling2d({ size: [2, 2], name: "upsample" }).apply(conv) as SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: up });
    const inputSpec = { height: 8, width: 8, scale: 1, offset: 0 };
    await assert.rejects(
      convertLayersModel({ model, outputs: [{ layerName: "upsample", pooling: ["avg"] }], input: inputSpec }),
      (error: unknown) => error instanceof OnnxExportError && error.code === "onnx-unsupported-layer"
        && /'upsample'/.test(error.message) && /UpSampling2D/.test(error.message) && error.layerName === "upsample",
    );
    await convertLayersModel({ model, outputs: [{ layerName: "conv", pooling: ["avg"] }], input: inputSpec });
    model.dispose();
  });

  it("rejects an unknown tap and a head of the wrong size with actionable errors", async () => {
    const model = miniMobileNet(tf, 32);
    const inputSpec = { height: 32, width: 32, scale, offset };
    await assert.rejects(convertLayersModel({ model, outputs: [{ layerName: "block_99_expand_relu", pooling: ["avg"] }], input: inputSpec }),
      (error: unknown) => error instanceof OnnxExportError && error.code === "onnx-unknown-tap" && /block_99_expand_relu/.test(error.message));
    await assert.rejects(convertLayersModel({ model, outputs: taps, input: inputSpec, head: randomHead(10, 2, 1) }),
      (error: unknown) => error instanceof OnnxExportError && error.code === "onnx-invalid-params" && /112 features/.test(error.message));
    await assert.rejects(convertLayersModel({ model, outputs: taps, input: { ...inputSpec, height: 64 } }),
      (error: unknown) => error instanceof OnnxExportError && /32x32/.test(error.message));
    model.dispose();
  });

  it("writes a parseable ModelProto with opset 13, IR 7, signatures and metadata", async () => {
    const model = miniMobileNet(tf, 32);
    const head = randomHead(112, 2, 3);
    head.labels = ["real", "fake"];
    const bytes = await convertLayersModel({
      model, outputs: taps, input: { height: 32, width: 32, scale, offset }, head, metadata: { backbone: "mini-mobilenet-v2", labels: "[\"real\",\"fake\"]" },
    });
    const decoded = decodeOnnxModel(bytes);
    assert.equal(Number(decoded.irVersion), 7);
    assert.deepEqual(decoded.opsetImport?.map((o) => [o.domain ?? "", Number(o.version)]), [["", 13]]);
    assert.equal(decoded.producerName, "deepfake-studio");
    const graph = decoded.graph;
    const dims = (info: NonNullable<typeof graph>["input"]) => info?.map((v) => [v.name, v.type?.tensorType?.shape?.dim?.map((d) => d.dimParam ?? Number(d.dimValue))]);
    assert.deepEqual(dims(graph?.input), [["image", ["batch", 32, 32, 3]]]);
    assert.deepEqual(dims(graph?.output), [["probabilities", ["batch", 2]], ["features", ["batch", 112]]]);
    const metadata = Object.fromEntries((decoded.metadataProps ?? []).map((p) => [p.key, p.value]));
    assert.equal(metadata.backbone, "mini-mobilenet-v2");
    assert.deepEqual(JSON.parse(metadata.labels ?? ""), ["real", "fake"]);
    assert.equal(JSON.parse(metadata.preprocessing ?? "{}").scale, scale);
    assert.equal(metadata.feature_count, "112");
    model.dispose();
  });

  it("handles non-foldable BatchNormalization, pooling, merges, Flatten, Dense and nested models", async () => {
    const { layers } = tf;
    const innerInput = tf.input({ shape: [12, 12, 3] });
    let inner = layers.conv2d({ filters: 6, kernelSize: 3, padding: "same", activation: "relu", name: "inner_conv" }).apply(innerInput) as SymbolicTensor;
    inner = layers.batchNormalization({ name: "inner_bn_after_relu" }).apply(inner) as SymbolicTensor;
    const innerModel = tf.model({ inputs: innerInput, outputs: inner, name: "inner_model" });
    const input = tf.input({ shape: [12, 12, 3] });
    const a = innerModel.apply(input) as SymbolicTensor;
    const b = layers.separableConv2d({ filters: 6, kernelSize: 3, padding: "same", depthMultiplier: 2, name: "separable" }).apply(a) as SymbolicTensor;
    const leaky = layers.leakyReLU({ alpha: 0.1, name: "leaky" }).apply(b) as SymbolicTensor;
    const multiplied = layers.multiply({ name: "multiply" }).apply([a, b]) as SymbolicTensor;
    const merged = layers.concatenate({ name: "concat" }).apply([multiplied, leaky]) as SymbolicTensor;
    const maxPool = layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same", name: "maxpool" }).apply(merged) as SymbolicTensor;
    const avgPool = layers.averagePooling2d({ poolSize: 2, strides: 2, padding: "same", name: "avgpool" }).apply(maxPool) as SymbolicTensor;
    const bnAfterPool = layers.batchNormalization({ name: "bn_after_pool" }).apply(avgPool) as SymbolicTensor;
    const flat = layers.flatten({ name: "flatten" }).apply(bnAfterPool) as SymbolicTensor;
    const dense = layers.dense({ units: 7, activation: "tanh", name: "dense" }).apply(flat) as SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [dense] });
    randomizeWeights(tf, model, 12);
    const images = randomImages(2, 12, 12, 13);
    const x = tf.tensor4d(images, [2, 12, 12, 3]);
    const bytes = await convertLayersModel({ model, outputs: "final", input: { height: 12, width: 12, scale: 1 / 255, offset: 0 } });
    const { features } = await runConverted(bytes, images, 2, 12);
    const expected = (model.predict(x.mul(1 / 255)) as Tensor).dataSync();
    assert.ok(features && maxAbsDiff(features, expected) <= 1e-5, `final max diff ${features && maxAbsDiff(features, expected)}`);
    // A tap inside the nested model, and one on the multiply branch.
    const nestedTaps: FeatureTap[] = [{ layerName: "inner_conv", pooling: ["max", "avg"] }, { layerName: "multiply", pooling: ["avg"] }];
    const tapBytes = await convertLayersModel({ model, outputs: nestedTaps, input: { height: 12, width: 12, scale: 1 / 255, offset: 0 } });
    const tapped = await runConverted(tapBytes, images, 2, 12);
    const expectedTaps = tf.tidy(() => {
      const innerOut = tf.model({ inputs: innerModel.inputs, outputs: innerModel.getLayer("inner_conv").output as SymbolicTensor }).predict(x.mul(1 / 255)) as Tensor;
      const multiplyOut = tf.model({ inputs: model.inputs, outputs: model.getLayer("multiply").output as SymbolicTensor }).predict(x.mul(1 / 255)) as Tensor;
      return tf.concat([innerOut.max([1, 2]), innerOut.mean([1, 2]), multiplyOut.mean([1, 2])], 1).dataSync();
    });
    assert.ok(tapped.features && maxAbsDiff(tapped.features, expectedTaps) / maxAbs(expectedTaps) <= 1e-4);
    model.dispose();
  });

  it("opens a model from a file path and reports bad input and bad files clearly", async () => {
    const model = miniMobileNet(tf, 32);
    const bytes = await convertLayersModel({ model, outputs: taps, input: { height: 32, width: 32, scale, offset } });
    const dir = mkdtempSync(join(tmpdir(), "onnx-session-"));
    try {
      const file = join(dir, "features.onnx");
      writeFileSync(file, bytes);
      const session = await createOnnxSession(file, { threads: 1 });
      assert.deepEqual([...session.outputNames], ["features"]);
      const { features, probabilities } = await runOnnx(session, randomImages(1, 32, 32, 2), 1, 32, 32);
      assert.equal(features?.length, 112);
      assert.equal(probabilities, undefined);
      await assert.rejects(runOnnx(session, new Float32Array(10), 1, 32, 32),
        (error: unknown) => error instanceof OnnxExportError && error.code === "onnx-invalid-params");
      await session.release();
      writeFileSync(file, bytes.subarray(0, 100));
      await assert.rejects(createOnnxSession(file), (error: unknown) => error instanceof OnnxExportError && error.code === "onnx-runtime-failed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
      model.dispose();
    }
  });

  it("passes onnx.checker when Python's onnx package is installed", async function () {
    const python = pythonWithOnnx();
    requireSystem(python, "A python3 with the onnx package", "python3-onnx");
    const model = miniMobileNet(tf, 32);
    const dir = mkdtempSync(join(tmpdir(), "onnx-check-"));
    try {
      // Also with test-time views and maps: the Python runners (the Gradio Space) load the same graph.
      for (const extra of [{}, { testTimeViews: TEST_TIME_VIEWS, cam: true }]) {
        const bytes = await convertLayersModel({ model, outputs: taps, input: { height: 32, width: 32, scale, offset }, head: randomHead(112, 2, 5), ...extra });
        const file = join(dir, "model.onnx");
        writeFileSync(file, bytes);
        execFileSync(python, ["-c", "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)", file], { stdio: "pipe" });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      model.dispose();
    }
  });

  it("matches tfjs on the real nsfwjs MobileNetV2 (taps block_6_expand_relu, block_13_expand_relu)", async function () {
    assert.ok(hasNsfwMobileNet(), "nsfwjs's MobileNetV2 is missing: it comes with the devDependency nsfwjs (npm ci).");
    this.timeout(300_000);
    const model = await loadNsfwMobileNet(tf);
    const realTaps: FeatureTap[] = [
      { layerName: "block_6_expand_relu", pooling: ["avg", "max"] },
      { layerName: "block_13_expand_relu", pooling: ["avg", "max"] },
    ];
    const images = randomImages(2, 224, 224, 17);
    const bytes = await convertLayersModel({ model, outputs: realTaps, input: { height: 224, width: 224, scale: 1 / 255, offset: 0 } });
    const { features } = await runConverted(bytes, images, 2, 224);
    const expected = tfjsFeatures(tf, model, realTaps, tf.tensor4d(images, [2, 224, 224, 3]), 1 / 255, 0);
    assert.ok(features);
    assert.equal(features.length, 2 * (192 * 2 + 576 * 2));
    const relative = maxAbsDiff(features, expected) / maxAbs(expected);
    if (process.env.ONNX_TEST_VERBOSE) console.log(`      relative max diff ${relative.toExponential(2)}`);
    assert.ok(relative <= 1e-4, `relative max diff ${relative}`);
    // The whole network too: AveragePooling2D, Flatten, Dense+relu, Dropout and the 5-class softmax.
    const final = await runConverted(await convertLayersModel({ model, outputs: "final", input: { height: 224, width: 224, scale: 1 / 255, offset: 0 } }), images, 2, 224);
    const expectedFinal = tf.tidy(() => (model.predict(tf.tensor4d(images, [2, 224, 224, 3]).mul(1 / 255)) as Tensor).dataSync());
    assert.ok(final.features && maxAbsDiff(final.features, expectedFinal) <= 1e-5, `final max diff ${final.features && maxAbsDiff(final.features, expectedFinal)}`);
    model.dispose();
  });
});
