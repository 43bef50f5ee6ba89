/**
 * Class activation maps: the exported graph's `cam` output against the same arithmetic done in TypeScript on the tfjs
 * backbone's activations (every pooling kind: avg, max, face-avg, face-max), and the map's defining property.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { loadBackbone, type LoadedBackbone } from "../src/core/backbone/load-backbone";
import { OFFLINE_BACKBONE_ID } from "../src/core/backbone/known-backbones";
import { resolveBackbone } from "../src/core/backbone/resolve-backbone";
import { camTfjs } from "../src/core/cam/cam-tfjs";
import { classMapAt } from "../src/core/cam/resize-map";
import { convertLayersModel } from "../src/core/onnx/convert-layers-model";
import { createOnnxSession, runOnnx } from "../src/core/onnx/onnx-session";
import { extractFeaturesTfjs, featureLength } from "../src/core/backbone/extract-features-tfjs";
import { withFaceRegionTaps } from "../src/core/train/backbone-features";
import { makeTempDir, removeDir } from "./support/temp-dir";
import { promises as fs } from "node:fs";
import { CAM_UNAVAILABLE, predict, type Prediction } from "../src/core/predict/predict";
import { makeFakeProject } from "./fixtures/fake-export";

/** float32 graph vs float64 reference, relative to the map's largest magnitude: conversion bugs are ≥ 1e-2. */
const CAM_TOLERANCE = 1e-3;
const SIZE = 224;
const CLASSES = 2;
const COUNT = 2;

/** Seeded numbers in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
}

/** Picture-like NHWC images: blocks, gradients and noise. */
function images(count: number): Float32Array {
  const random = seeded(7);
  const data = new Float32Array(count * SIZE * SIZE * 3);
  for (let i = 0; i < data.length; i++) {
    const p = Math.floor(i / 3) % (SIZE * SIZE);
    const [y, x] = [Math.floor(p / SIZE), p % SIZE];
    data[i] = ((x >> 4) + (y >> 5)) % 2 ? 200 - y / 3 : 40 + 120 * random();
  }
  return data;
}

describe("class activation maps", function () {
  this.timeout(180_000);
  let tmp: string;
  let backbone: LoadedBackbone;

  before(async () => {
    tmp = await makeTempDir("dds-cam-");
    const env = { ...process.env, DEEPFAKE_STUDIO_CACHE: path.join(tmp, "cache") };
    // The face-crop taps add face-avg and face-max to avg and max: every pooling kind the map handles.
    backbone = await loadBackbone({ spec: withFaceRegionTaps(resolveBackbone({ backbone: OFFLINE_BACKBONE_ID, env })), env });
  });

  after(async () => {
    backbone?.dispose();
    await removeDir(tmp);
  });

  it(`the ONNX graph's cam equals the TypeScript map from the tfjs activations (relative difference ≤ ${CAM_TOLERANCE}), and its mean is the backbone's part of the logit`, async () => {
    const features = featureLength(backbone);
    const random = seeded(11);
    const head = {
      mean: Float32Array.from({ length: features }, () => random()),
      std: Float32Array.from({ length: features }, () => 0.5 + random()),
      weights: Float32Array.from({ length: features * CLASSES }, () => random() - 0.5),
      bias: Float32Array.of(0.1, -0.1),
      labels: ["Real", "Deepfake"],
    };
    const bytes = await convertLayersModel({
      model: backbone.model,
      outputs: backbone.spec.taps.map((tap) => ({ layerName: tap.layer, pooling: [...tap.pooling] })),
      input: { height: SIZE, width: SIZE, ...backbone.spec.scaling },
      head,
      cam: true,
    });
    const data = images(COUNT);
    const session = await createOnnxSession(bytes);
    let onnx: Float32Array | undefined;
    try {
      assert.ok(session.outputNames.includes("cam"), `outputs: ${session.outputNames.join(", ")}`);
      onnx = (await runOnnx(session, data, COUNT, SIZE, SIZE)).cam;
    } finally {
      await session.release();
    }
    const reference = await camTfjs(backbone, { ...head, classes: CLASSES }, data, COUNT);
    assert.ok(onnx, "no cam output");
    // The finest tap here is block_3_expand_relu (face poolings), 56 x 56.
    assert.equal(onnx.length, COUNT * CLASSES * 56 * 56);
    const scale = reference.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
    let worst = 0;
    for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(onnx[i] - reference[i]));
    assert.ok(scale > 0 && worst / scale <= CAM_TOLERANCE, `largest difference ${worst} of ${scale}`);

    // Average-pooled parts only (the out_relu tap): the map's mean over the pixels is exactly Σ w·(x − mean)/std.
    const x = await extractFeaturesTfjs(backbone, { data, count: COUNT });
    const avgOnly = { ...head, weights: Float32Array.from(head.weights) };
    const lastOffset = features - 1280;
    for (let f = 0; f < lastOffset * CLASSES; f++) avgOnly.weights[f] = 0;
    const map = await camTfjs(backbone, { ...avgOnly, classes: CLASSES }, data, COUNT);
    for (let n = 0; n < COUNT; n++) {
      for (let k = 0; k < CLASSES; k++) {
        let term = 0;
        for (let f = lastOffset; f < features; f++) term += avgOnly.weights[f * CLASSES + k] * (x[n * features + f] - head.mean[f]) / head.std[f];
        const pixels = classMapAt(map, [COUNT, CLASSES, 56, 56], n, k, SIZE, SIZE);
        const mean = pixels.reduce((a, b) => a + b, 0) / pixels.length;
        assert.ok(Math.abs(mean - term) <= 1e-3 * Math.max(1, Math.abs(term)), `image ${n} class ${k}: map mean ${mean}, term ${term}`);
      }
    }
  });

  it("predict --cam on a model without maps (as a fine-tuned network's export) says so and writes no overlay", async () => {
    const project = await makeFakeProject({ dir: path.join(tmp, "project") });
    const camDir = path.join(tmp, "overlays");
    const results = (await predict({ modelDir: project.exportDir, inputs: [project.dataDir], camDir })) as Prediction[];
    assert.ok(results.length > 0);
    for (const result of results) assert.deepEqual(result.cam, { unavailable: CAM_UNAVAILABLE }, JSON.stringify(result));
    assert.deepEqual(await fs.readdir(camDir), []);
  });
});
