/** Head-pose consistency: measured in the face's own frame, and it turns negative when the inner face leans against its outline. */
import assert from "node:assert/strict";
import { poseConsistency, POSE_CONSISTENCY_COUNT } from "../src/core/face-features/pose-consistency";
import { blendStatistics, BLEND_STATISTICS_COUNTS } from "../src/core/face-features/blend-statistics";
import { detectStillFaces } from "../src/core/face-crop/detect-still-faces";
import { detectLargestFace } from "../src/core/face-features/face-landmarks";
import { loadSourceFaces } from "../src/core/reference-data/load-source-faces";
import { renderFaceSample } from "../src/core/reference-data/render-face-sample";
import type { FacePoint } from "../src/core/face-nets/detect-faces";

/** Landmark i of a mirrored face is landmark MIRROR[i] of the original (68-point scheme), for the inner face 17–67. */
const MIRROR: number[] = (() => {
  const map = Array.from({ length: 68 }, (_, i) => i);
  const pairs: Array<[number[], number[]]> = [
    [[17, 18, 19, 20, 21], [26, 25, 24, 23, 22]],
    [[31, 32], [35, 34]],
    [[36, 37, 38, 39, 40, 41], [45, 44, 43, 42, 47, 46]],
    [[48, 49, 50, 55, 56, 60, 61, 65], [54, 53, 52, 59, 58, 64, 63, 67]],
  ];
  for (const [a, b] of pairs) a.forEach((i, k) => ((map[i] = b[k]), (map[b[k]] = i)));
  return map;
})();

/** The inner face (17–67) reflected about the line through the eyes' midpoint, perpendicular to the eye line; the outline stays. */
function mirrorInnerFace(landmarks: readonly FacePoint[]): FacePoint[] {
  const mean = (from: number, to: number) => landmarks.slice(from, to).reduce((s, p) => ({ x: s.x + p.x / (to - from), y: s.y + p.y / (to - from) }), { x: 0, y: 0 });
  const [left, right] = [mean(36, 42), mean(42, 48)];
  const mid = { x: (left.x + right.x) / 2, y: (left.y + right.y) / 2 };
  const length = Math.hypot(right.x - left.x, right.y - left.y);
  const u = { x: (right.x - left.x) / length, y: (right.y - left.y) / length };
  const reflect = (p: FacePoint) => {
    const along = (p.x - mid.x) * u.x + (p.y - mid.y) * u.y;
    return { x: p.x - 2 * along * u.x, y: p.y - 2 * along * u.y };
  };
  return landmarks.map((p, i) => (i < 17 ? p : reflect(landmarks[MIRROR[i]])));
}

describe("pose consistency", function () {
  this.timeout(300_000);
  let faces: Awaited<ReturnType<typeof loadSourceFaces>>;
  before(async () => {
    faces = await loadSourceFaces();
  });

  it("is the same for the face moved, scaled and turned in the picture", () => {
    const landmarks = faces.faces[0].landmarks;
    const [cos, sin] = [Math.cos(0.4), Math.sin(0.4)];
    const moved = landmarks.map((p) => ({ x: 2.5 * (p.x * cos - p.y * sin) + 40, y: 2.5 * (p.x * sin + p.y * cos) - 17 }));
    const [a, b] = [poseConsistency(landmarks), poseConsistency(moved)];
    assert.equal(a.length, POSE_CONSISTENCY_COUNT);
    a.forEach((value, i) => assert.ok(Math.abs(value - b[i]) < 1e-6, `number ${i}: ${value} vs ${b[i]}`));
  });

  it("turns the inner face's lean against its outline's when the inner face is mirrored (a same-person mirror swap)", () => {
    let agreeing = 0;
    let leaning = 0;
    for (const face of faces.faces) {
      const real = poseConsistency(face.landmarks);
      const swapped = poseConsistency(mirrorInnerFace(face.landmarks));
      // Nose tip (inner 0) against the jaw ends' middle (outer 0): products start at index 10.
      const [nose, outline, product] = [real[0], real[5], real[10]];
      assert.ok(Math.abs(swapped[0] + nose) < 1e-6, "the mirrored nose leans the other way by as much");
      assert.ok(Math.abs(swapped[5] - outline) < 1e-9, "the outline is untouched");
      assert.ok(Math.abs(swapped[10] + product) < 1e-6, "so their product changes sign");
      if (Math.abs(nose) > 0.05) {
        leaning += 1;
        if (product < 0) agreeing += 1;
      }
    }
    // On a real turned head the nose tip (near the camera) moves the way the head turns and the jaw's ends (far from
    // it) the other way: the product is negative; a mirrored inner face makes it positive.
    assert.ok(leaning >= 5, `only ${leaning} of the ${faces.faces.length} faces lean enough to tell`);
    assert.ok(agreeing / leaning >= 0.8, `nose and outline lean apart on only ${agreeing} of ${leaning} turned real faces`);
  });

  it("joins the blending statistics from version 2; version 1 models still get their 22 numbers", () => {
    const sample = renderFaceSample({ photos: faces.photos, face: faces.faces[1], variation: { margin: 1.5, offsetX: 0, offsetY: 0, rotation: 0, flip: false, brightness: 1 }, size: 224 });
    const v2 = blendStatistics({ pixels: sample.pixels, width: 224, height: 224, landmarks: sample.landmarks, version: 2 });
    const v1 = blendStatistics({ pixels: sample.pixels, width: 224, height: 224, landmarks: sample.landmarks, version: 1 });
    assert.equal(v1.length, BLEND_STATISTICS_COUNTS[1]);
    assert.equal(v2.length, BLEND_STATISTICS_COUNTS[2]);
    assert.deepEqual(Array.from(v2.slice(0, v1.length)), Array.from(v1));
    assert.deepEqual(Array.from(v2.slice(v1.length)), poseConsistency(sample.landmarks).map(Math.fround));
  });

  it("finds a face tilted past the detectors' reach by searching turned copies, in the picture's own pixels", async () => {
    let tried = 0;
    const variation = (rotation: number) => ({ margin: 1.4, offsetX: 0, offsetY: 0, rotation, flip: false, brightness: 1 });
    for (const [index, face] of faces.faces.entries()) {
      // Only faces the detectors find when upright: the question is the tilt alone.
      const level = renderFaceSample({ photos: faces.photos, face, variation: variation(0), size: 224 });
      if (!(await detectLargestFace({ data: level.pixels, width: 224, height: 224 }))) continue;
      const sample = renderFaceSample({ photos: faces.photos, face, variation: variation(30), size: 224 });
      const image = { data: sample.pixels, width: 224, height: 224 };
      const upright = [...(await detectStillFaces({ image, detector: "fast", plausibleOnly: true })).faces, ...(await detectStillFaces({ image, detector: "accurate", plausibleOnly: true })).faces];
      if (upright.length > 0) continue;
      tried += 1;
      const found = await detectLargestFace(image);
      assert.ok(found, `face ${index}, turned 30°: not found on the turned copies either`);
      const error = found.landmarks.reduce((sum, p, i) => sum + Math.hypot(p.x - sample.landmarks[i].x, p.y - sample.landmarks[i].y), 0) / 68;
      const eyes = Math.hypot(sample.landmarks[45].x - sample.landmarks[36].x, sample.landmarks[45].y - sample.landmarks[36].y);
      assert.ok(error < 0.15 * eyes, `face ${index}: landmarks ${error.toFixed(1)} px from the true ones (eye corners ${eyes.toFixed(0)} px apart)`);
      if (tried >= 3) break;
    }
    assert.ok(tried > 0, "every face turned 30° was found upright: this test needs one the detectors miss");
  });
});
