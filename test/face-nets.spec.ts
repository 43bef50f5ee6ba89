/**
 * Faces at video speed (issue 15): face-api's nets run on ONNX Runtime (src/core/face-nets) give face-api's own
 * answers; the face-crop pipeline built on them finds at least as many faces on the reference set as the tfjs
 * recipe did (54 of 60) and frames them the same way (crop square IoU ≥ 0.9 on ≥ 95 % of them); non-faces (a
 * gradient, a textured canvas, ffmpeg's test pattern) give no crop.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import sharp from "sharp";
import { cropLargestFace } from "../src/core/face-crop/crop-largest-face";
import { detectStillFaces } from "../src/core/face-crop/detect-still-faces";
import { faceCropSettings } from "../src/core/face-crop/face-crop-settings";
import { decodeSsd } from "../src/core/face-nets/decode-detections";
import { detectFacesOnnx, setSsdInt8Default, withLandmarks } from "../src/core/face-nets/detect-faces-onnx";
import { detectFacesPooled, runningFaceNetWorkers, setFaceNetWorkers } from "../src/core/face-nets/face-net-pool";
import { faceNetWeights, runFaceNet } from "../src/core/face-nets/face-net-sessions";
import { prepareNetInput } from "../src/core/face-nets/prepare-net-input";
import { buildSsdInt8Graph, SSD_LAYER_NAMES } from "../src/core/face-nets/ssd-int8";
import { ssdWindow, ssdWindowAnchors } from "../src/core/face-nets/ssd-window";
import { decodeOnnxModel } from "../src/core/onnx/decode-onnx-model";
import type { RawPixels } from "../src/core/shared/perceptual-hash";
import type { DetectedFace } from "../src/core/face-nets/detect-faces";
import { composeFacePicture } from "./fixtures/compose-face-picture";
import { gradientPicture } from "./fixtures/face-crop-project";
import { compareWithTfjsRecipe, makeFaceReferenceSet } from "./fixtures/face-reference-set";
import { ffmpeg, hasFfmpeg } from "./fixtures/make-clip";
import { detectFacesTfjs } from "./support/face-api-tfjs";
import { netInputReference } from "./support/net-input-reference";
import { makeTempDir, removeDir } from "./support/temp-dir";

/** A float32 SSD face scoring at least this must be found by the int8 SSD … */
const INT8_CONFIDENT = 0.7;
/** … with a box overlapping it at least this much (measured on the reference set: lowest 0.884, median 0.951). */
const INT8_BOX_IOU = 0.85;

/** ONNX vs tfjs: float rounding only (results are rounded to 1/100 px, as toDetectedFace rounds face-api's). */
const PARITY_PX = 0.05;
const PARITY_SCORE = 0.005;

describe("face nets on ONNX Runtime (issue 15)", function () {
  this.timeout(600_000);
  let dir: string;
  let set: { files: string[]; resized: RawPixels[] };

  before(async () => {
    dir = await makeTempDir("face-nets-");
    set = await makeFaceReferenceSet(dir, 60);
  });
  after(() => removeDir(dir));

  for (const detector of ["accurate", "fast"] as const) {
    it(`${detector === "accurate" ? "SSD MobileNet v1" : "the Tiny Face Detector"} + 68 landmarks give face-api's own boxes, scores and landmarks`, async () => {
      let faces = 0;
      for (const pixels of set.resized.slice(0, 12)) {
        const expected = await detectFacesTfjs(pixels, detector);
        const actual = (await detectFacesOnnx({ image: { ...pixels, channels: 3 }, detector })).sort((a, b) => a.box.x - b.box.x || a.box.y - b.box.y);
        assert.equal(actual.length, expected.length, "as many faces as face-api finds");
        expected.forEach((face, i) => assertSameFace(actual[i], face));
        faces += expected.length;
      }
      assert.ok(faces >= 10, `the pictures have faces to compare (${faces})`);
    });
  }

  it("runs the SSD on the part of the 512 square the picture fills, each output decoded against the square's own anchor", async () => {
    assert.deepEqual(ssdWindow(400, 262), { rows: 384, cols: 512 }, "a 3:2 landscape picture fills 335 rows, rounded up to 384");
    assert.deepEqual(ssdWindow(262, 400), { rows: 512, cols: 384 });
    assert.deepEqual(ssdWindow(300, 300), { rows: 512, cols: 512 });
    const at512 = (await faceNetWeights("ssd")).get("Output/extra_dim")!.data;
    assert.equal(ssdWindowAnchors(at512, 512, 512), at512);
    const window = ssdWindowAnchors(at512, 384, 512);
    // Maps of 24×32, 12×16, 6×8, 3×4, 2×2 and 1×1 cells instead of 32², 16², 8², 4², 2², 1².
    assert.equal(window.length / 4, 24 * 32 * 3 + (12 * 16 + 6 * 8 + 3 * 4 + 2 * 2 + 1) * 6);
    const lastOfFirstMap = (23 * 32 + 31) * 3 + 2;
    assert.deepEqual([...window.subarray((24 * 32 * 3 - 1) * 4, 24 * 32 * 3 * 4)], [...at512.subarray(lastOfFirstMap * 4, lastOfFirstMap * 4 + 4)]);
    // The window gives the full square's faces on every reference picture (to the 1/100 px results are rounded to).
    const spec = { side: 512, centre: false, mean: [127.5, 127.5, 127.5] as const, divisor: 127.5 };
    let faces = 0;
    for (const pixels of set.resized) {
      const image = { ...pixels, channels: 3 as const };
      const input = new Float32Array(3 * 512 * 512);
      prepareNetInput(image, { x: 0, y: 0, width: pixels.width, height: pixels.height }, spec, input);
      const { boxes, classes } = await runFaceNet("ssd", input, [1, 3, 512, 512]);
      const full = await withLandmarks(image, decodeSsd({ boxes, classes, anchors: at512, width: pixels.width, height: pixels.height, minScore: 0.5, maxResults: 20 }));
      assert.deepEqual(await detectFacesOnnx({ image, detector: "accurate" }), full);
      faces += full.length;
    }
    assert.ok(faces >= 50, `the pictures have faces to compare (${faces})`);
  });

  it("prepares each net's input as face-api's padding, bilinear resize and normalisation give it, bit for bit", async () => {
    const ssd = { side: 512, centre: false, mean: [127.5, 127.5, 127.5] as const, divisor: 127.5 };
    const tiny = { side: 416, centre: false, mean: [117.001, 114.697, 97.404] as const, divisor: 255 };
    const landmarks = { side: 112, centre: true, mean: [122.782, 117.001, 104.298] as const, divisor: 255 };
    let compared = 0;
    for (const pixels of set.resized.slice(0, 6)) {
      const image = { ...pixels, channels: 3 };
      const whole = { x: 0, y: 0, width: pixels.width, height: pixels.height };
      // Landscape and portrait regions, padded after (detectors) and on both sides (landmarks), the SSD's window and the full square.
      const portrait = { x: 40, y: 0, width: Math.round(pixels.height * 0.7), height: pixels.height };
      const face = { x: 31, y: 17, width: 151, height: 122 };
      const cases = [
        { region: whole, spec: { ...ssd, ...ssdWindow(pixels.width, pixels.height) } },
        { region: whole, spec: ssd }, { region: portrait, spec: ssd }, { region: whole, spec: tiny },
        { region: face, spec: landmarks }, { region: portrait, spec: landmarks },
      ];
      for (const { region, spec } of cases) {
        const expected = netInputReference(image, region, spec);
        const actual = new Float32Array(expected.length + 7).fill(Number.NaN);
        prepareNetInput(image, region, spec, actual);
        const differing = expected.findIndex((value, i) => !Object.is(value, actual[i]));
        assert.equal(differing, -1, `${spec.side} px input of ${JSON.stringify(region)}: value ${differing} is ${actual[differing]}, not ${expected[differing]}`);
        assert.ok(actual.subarray(expected.length).every(Number.isNaN), "nothing written past the image");
        compared += expected.length;
      }
    }
    assert.ok(compared > 10_000_000, `${compared} values compared`);
  });

  it(`the int8 SSD (measured, not the recipe) keeps its boxes within IoU ${INT8_BOX_IOU} of float32's on the reference pictures`, async () => {
    const graph = decodeOnnxModel(buildSsdInt8Graph(await faceNetWeights("ssd")));
    const ops = (type: string) => graph.graph!.node!.filter((node) => node.opType === type).length;
    assert.deepEqual([ops("QLinearConv"), ops("Conv"), ops("Clip")], [35, 12, 0], "every ReLU6 convolution is a QLinearConv; the 12 predictors stay float32");
    const allFloat = decodeOnnxModel(buildSsdInt8Graph(await faceNetWeights("ssd"), { floatLayers: SSD_LAYER_NAMES })).graph!.node!;
    assert.deepEqual([allFloat.filter((node) => node.opType === "QLinearConv").length, allFloat.filter((node) => node.opType === "Conv").length], [0, 47], "SSD_LAYER_NAMES names every layer");
    const anchors512 = (await faceNetWeights("ssd")).get("Output/extra_dim")!.data;
    let matched = 0;
    let faces = 0;
    const ious: number[] = [];
    for (const pixels of set.resized) {
      const { rows, cols } = ssdWindow(pixels.width, pixels.height);
      const input = new Float32Array(3 * rows * cols);
      prepareNetInput({ ...pixels, channels: 3 }, { x: 0, y: 0, width: pixels.width, height: pixels.height }, { side: 512, rows, cols, centre: false, mean: [127.5, 127.5, 127.5], divisor: 127.5 }, input);
      const decode = (out: Record<string, Float32Array>) => decodeSsd({ ...(out as { boxes: Float32Array; classes: Float32Array }), anchors: ssdWindowAnchors(anchors512, rows, cols), width: pixels.width, height: pixels.height, minScore: 0.5, maxResults: 20 });
      const float = decode(await runFaceNet("ssd", input, [1, 3, rows, cols]));
      const int8 = decode(await runFaceNet({ ssdInt8: {} }, input, [1, 3, rows, cols]));
      for (const face of float.filter(({ score }) => score >= INT8_CONFIDENT)) {
        faces += 1;
        const best = Math.max(0, ...int8.map((other) => boxIou(face.box, other.box)));
        ious.push(best);
        if (best >= INT8_BOX_IOU) matched += 1;
      }
    }
    ious.sort((a, b) => a - b);
    console.log(`      int8 vs float32 SSD: ${matched} of ${faces} confident faces within IoU ${INT8_BOX_IOU}; lowest ${ious.slice(0, 3).map((iou) => iou.toFixed(3)).join(", ")}, median ${ious[ious.length >> 1].toFixed(3)}`);
    assert.ok(faces >= 40, `the pictures have confident faces (${faces})`);
    assert.equal(matched, faces, `lowest box IoU ${ious[0].toFixed(3)}`);
  });

  it("gives the same faces on its worker threads as on the calling thread", async () => {
    const pictures = set.resized.slice(0, 8).map((pixels) => ({ ...pixels, channels: 3 as const }));
    try {
      setFaceNetWorkers(0);
      const here = await Promise.all(pictures.map((image) => detectFacesPooled({ image, detector: "accurate" })));
      assert.equal(runningFaceNetWorkers(), 0);
      setFaceNetWorkers(2);
      const pooled = await Promise.all(pictures.map((image) => detectFacesPooled({ image, detector: "accurate" })));
      assert.equal(runningFaceNetWorkers(), 2, "two pictures in flight start two workers");
      assert.deepEqual(pooled, here);
      assert.ok(here.flat().length >= 6, `the pictures have faces (${here.flat().length})`);
      // The int8 SSD chosen on this thread reaches the workers (each request carries it).
      setSsdInt8Default({});
      const pooledInt8 = await Promise.all(pictures.map((image) => detectFacesPooled({ image, detector: "accurate" })));
      setFaceNetWorkers(0);
      const hereInt8 = await Promise.all(pictures.map((image) => detectFacesPooled({ image, detector: "accurate" })));
      assert.deepEqual(pooledInt8, hereInt8);
      assert.notDeepEqual(hereInt8, here, "the int8 SSD's boxes are not float32's");
    } finally {
      setFaceNetWorkers();
      setSsdInt8Default(undefined);
    }
  });

  it("on the reference set, finds at least the 54 faces the tfjs recipe found, framed the same (crop IoU ≥ 0.9 on ≥ 95 %)", async () => {
    const { found, referenceFound, ious } = await compareWithTfjsRecipe(set.resized, faceCropSettings({ resizeMax: 400 }));
    assert.equal(referenceFound, 54, "the tfjs recipe finds 54 of 60 (BENCHMARKS.md)");
    assert.ok(found >= referenceFound, `found ${found} of ${set.resized.length}, the tfjs recipe ${referenceFound}`);
    const close = ious.filter((iou) => iou >= 0.9).length;
    assert.ok(close >= Math.ceil(0.95 * ious.length), `crop IoU ≥ 0.9 on ${close} of ${ious.length} (lowest ${Math.min(...ious).toFixed(3)})`);
  });

  it("gives no face crop for a gradient, a textured canvas without a face or ffmpeg's test pattern", async () => {
    const files = [path.join(dir, "gradient.png"), path.join(dir, "canvas.jpg")];
    await gradientPicture(files[0], 400, 300);
    await composeFacePicture(files[1], 400, 263, []);
    if (await hasFfmpeg()) {
      files.push(path.join(dir, "testsrc.png"));
      await ffmpeg(["-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=640x480:rate=1:duration=1", "-frames:v", "1", files[2]]);
    }
    const settings = faceCropSettings({ resizeMax: 400 });
    for (const file of files) {
      const { data, info } = await sharp(file).removeAlpha().resize(400, 400, { fit: "inside" }).raw().toBuffer({ resolveWithObject: true });
      const pixels = { data, width: info.width, height: info.height, channels: 3 };
      assert.equal(await cropLargestFace({ pixels, settings }), undefined, `${path.basename(file)} has no face`);
      for (const detector of ["fast", "accurate"] as const) {
        const { faces } = await detectStillFaces({ image: pixels, detector, plausibleOnly: true });
        assert.deepEqual(faces, [], `${path.basename(file)}: the ${detector} detector keeps no face`);
      }
    }
  });
});

function boxIou(a: DetectedFace["box"], b: DetectedFace["box"]): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (w * h) / (a.width * a.height + b.width * b.height - w * h);
}

function assertSameFace(actual: DetectedFace, expected: DetectedFace): void {
  assert.ok(Math.abs(actual.score - expected.score) <= PARITY_SCORE, `score ${actual.score} vs ${expected.score}`);
  for (const key of ["x", "y", "width", "height"] as const) assert.ok(Math.abs(actual.box[key] - expected.box[key]) <= PARITY_PX, `box.${key} ${actual.box[key]} vs ${expected.box[key]}`);
  const worst = Math.max(...expected.landmarks.map((p, i) => Math.hypot(p.x - actual.landmarks[i].x, p.y - actual.landmarks[i].y)));
  assert.ok(worst <= PARITY_PX, `landmarks up to ${worst.toFixed(3)} px apart`);
}
