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
import { detectFacesOnnx } from "../src/core/face-nets/detect-faces-onnx";
import type { RawPixels } from "../src/core/gather/perceptual-hash";
import type { DetectedFace } from "../src/core/reference-data/detect-faces";
import { composeFacePicture } from "./fixtures/compose-face-picture";
import { gradientPicture } from "./fixtures/face-crop-project";
import { compareWithTfjsRecipe, makeFaceReferenceSet } from "./fixtures/face-reference-set";
import { ffmpeg, hasFfmpeg } from "./fixtures/make-clip";
import { detectFacesTfjs } from "./support/face-api-tfjs";
import { makeTempDir, removeDir } from "./support/temp-dir";

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

function assertSameFace(actual: DetectedFace, expected: DetectedFace): void {
  assert.ok(Math.abs(actual.score - expected.score) <= PARITY_SCORE, `score ${actual.score} vs ${expected.score}`);
  for (const key of ["x", "y", "width", "height"] as const) assert.ok(Math.abs(actual.box[key] - expected.box[key]) <= PARITY_PX, `box.${key} ${actual.box[key]} vs ${expected.box[key]}`);
  const worst = Math.max(...expected.landmarks.map((p, i) => Math.hypot(p.x - actual.landmarks[i].x, p.y - actual.landmarks[i].y)));
  assert.ok(worst <= PARITY_PX, `landmarks up to ${worst.toFixed(3)} px apart`);
}
