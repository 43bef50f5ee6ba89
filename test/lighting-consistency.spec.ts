/** Lighting consistency: the inner face's shading agrees with the cheeks' on a real face and turns against it when the inner face is pasted mirrored. */
import assert from "node:assert/strict";
import { blendStatistics, BLEND_STATISTICS_COUNTS } from "../src/core/face-features/blend-statistics";
import { LIGHTING_CONSISTENCY_COUNT } from "../src/core/face-features/lighting-consistency";
import { faceFrame } from "../src/core/face-nets/face-frame";
import { loadSourceFaces, type SourceFaces } from "../src/core/reference-data/load-source-faces";
import { renderFaceSample } from "../src/core/reference-data/render-face-sample";
import type { FacePoint } from "../src/core/face-nets/detect-faces";

const LEVEL = { margin: 1.5, offsetX: 0, offsetY: 0, rotation: 0, flip: false, brightness: 1 };
/** Indices into the lighting numbers (see lightingConsistency's order). */
const [INNER_ACROSS, CHEEKS_ACROSS, , , PRODUCT] = [0, 1, 2, 3, 4];

function lighting(pixels: ArrayLike<number>, landmarks: readonly FacePoint[]): number[] {
  return Array.from(blendStatistics({ pixels, width: 224, height: 224, landmarks, version: 3 }).slice(BLEND_STATISTICS_COUNTS[2]));
}

/** The photo lit harder from one side: brightness times exp(slope · u), u in eye distances across the given face. */
function sideLit(photo: SourceFaces["photos"][number], landmarks: readonly FacePoint[], slope: number): SourceFaces["photos"][number] {
  const frame = faceFrame(landmarks);
  const across = { x: (frame.rightEye.x - frame.leftEye.x) / frame.eyeDistance, y: (frame.rightEye.y - frame.leftEye.y) / frame.eyeDistance };
  const { width, height } = photo.image;
  const data = new Uint8Array(photo.image.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = ((x - frame.centre.x) * across.x + (y - frame.centre.y) * across.y) / frame.eyeDistance;
      const gain = Math.exp(slope * u);
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = Math.min(255, Math.round(photo.image.data[(y * width + x) * 3 + c] * gain));
    }
  }
  return { ...photo, image: { ...photo.image, data } };
}

describe("lighting consistency", function () {
  this.timeout(300_000);
  let faces: SourceFaces;
  before(async () => {
    faces = await loadSourceFaces();
  });

  it("joins the blending statistics as version 3; versions 1 and 2 keep their numbers", () => {
    const sample = renderFaceSample({ photos: faces.photos, face: faces.faces[1], variation: LEVEL, size: 224 });
    const v2 = blendStatistics({ pixels: sample.pixels, width: 224, height: 224, landmarks: sample.landmarks, version: 2 });
    const v3 = blendStatistics({ pixels: sample.pixels, width: 224, height: 224, landmarks: sample.landmarks });
    assert.equal(v3.length, BLEND_STATISTICS_COUNTS[3]);
    assert.equal(v3.length - v2.length, LIGHTING_CONSISTENCY_COUNT);
    assert.deepEqual(Array.from(v3.slice(0, v2.length)), Array.from(v2));
  });

  it("reads one light across the whole face as the same slope inside and on the cheeks", () => {
    const face = faces.faces[1];
    const sample = renderFaceSample({ photos: faces.photos, face, variation: LEVEL, size: 224 });
    const flat = new Uint8Array(sample.pixels.length).fill(128);
    const frame = faceFrame(sample.landmarks);
    const across = { x: (frame.rightEye.x - frame.leftEye.x) / frame.eyeDistance, y: (frame.rightEye.y - frame.leftEye.y) / frame.eyeDistance };
    for (let i = 0; i < 224 * 224; i++) {
      const u = ((i % 224) + 0.5 - frame.centre.x) * across.x + (Math.floor(i / 224) + 0.5 - frame.centre.y) * across.y;
      flat.fill(Math.round(128 * Math.exp((0.3 * u) / frame.eyeDistance)), i * 3, i * 3 + 3);
    }
    const numbers = lighting(flat, sample.landmarks);
    // log(128·e^(0.3u) + 8) rises by ≈ 0.3 · 128/136 per eye distance.
    assert.ok(Math.abs(numbers[INNER_ACROSS] - 0.28) < 0.03, `inner slope ${numbers[INNER_ACROSS]}`);
    assert.ok(Math.abs(numbers[INNER_ACROSS] - numbers[CHEEKS_ACROSS]) < 0.02, `inner ${numbers[INNER_ACROSS]} vs cheeks ${numbers[CHEEKS_ACROSS]}`);
    assert.ok(numbers[PRODUCT] > 0);
  });

  it("turns the inner face's light against the cheeks' in mirror swaps of side-lit faces", () => {
    let agreeingReal = 0;
    let turnedSwaps = 0;
    const tried = faces.faces.slice(0, 12);
    for (const [k, face] of tried.entries()) {
      const slope = k % 2 === 0 ? 0.5 : -0.5;
      const photos = faces.photos.map((photo, i) => (i === face.photo ? sideLit(photo, face.landmarks, slope) : photo));
      const real = renderFaceSample({ photos, face, variation: LEVEL, size: 224 });
      const swap = renderFaceSample({ photos, face, donor: { face, mirror: true }, variation: LEVEL, size: 224 });
      const [r, s] = [lighting(real.pixels, real.landmarks), lighting(swap.pixels, swap.landmarks)];
      if (r[PRODUCT] > 0 && Math.sign(r[INNER_ACROSS]) === Math.sign(slope)) agreeingReal += 1;
      if (s[PRODUCT] < 0 && Math.sign(s[INNER_ACROSS]) === -Math.sign(slope)) turnedSwaps += 1;
    }
    assert.ok(agreeingReal >= 0.8 * tried.length, `inside and cheeks agree on only ${agreeingReal} of ${tried.length} side-lit real faces`);
    assert.ok(turnedSwaps >= 0.8 * tried.length, `the mirrored inner face's light turned on only ${turnedSwaps} of ${tried.length} swaps`);
  });
});
