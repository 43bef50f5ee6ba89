/** Same-person swaps through a face generator's aligned square (the held-out fakes of bench/self-blend.ts with BENCH_TEST_GENERATOR). */
import assert from "node:assert/strict";
import { drawCropVariation } from "../src/core/reference-data/crop-variation";
import { faceFrame } from "../src/core/face-nets/face-frame";
import { loadSourceFaces } from "../src/core/reference-data/load-source-faces";
import { renderFaceSample } from "../src/core/reference-data/render-face-sample";
import { createSeededRandom } from "../src/core/shared/seeded-random";

const SIZE = 224;

/** The box between the eyes and the mouth, in whole pixels one pixel clear of the crop's edge: where a swap's inner face is. */
function innerBox(landmarks: readonly { x: number; y: number }[]): { x0: number; x1: number; y0: number; y1: number } {
  const frame = faceFrame(landmarks);
  const mouthY = landmarks.slice(48, 60).reduce((s, p) => s + p.y, 0) / 12;
  return {
    x0: Math.max(1, Math.ceil(frame.leftEye.x)),
    x1: Math.min(SIZE - 1, Math.floor(frame.rightEye.x)),
    y0: Math.max(1, Math.ceil(Math.min(frame.leftEye.y, frame.rightEye.y))),
    y1: Math.min(SIZE - 1, Math.floor(mouthY)),
  };
}

/** Mean absolute Laplacian of the grey picture over the inner box: how much fine detail is there. */
function innerDetail(pixels: Uint8Array, landmarks: readonly { x: number; y: number }[]): number {
  const { x0, x1, y0, y1 } = innerBox(landmarks);
  const grey = (x: number, y: number) => { const i = (y * SIZE + x) * 3; return 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2]; };
  let sum = 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      sum += Math.abs(4 * grey(x, y) - grey(x - 1, y) - grey(x + 1, y) - grey(x, y - 1) - grey(x, y + 1));
      n++;
    }
  }
  return sum / n;
}

/** Mean absolute difference of two crops over the inner box. */
function innerDifference(a: Uint8Array, b: Uint8Array, landmarks: readonly { x: number; y: number }[]): number {
  const { x0, x1, y0, y1 } = innerBox(landmarks);
  let sum = 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      for (let c = 0; c < 3; c++) sum += Math.abs(a[(y * SIZE + x) * 3 + c] - b[(y * SIZE + x) * 3 + c]);
      n += 3;
    }
  }
  return sum / n;
}

describe("face swaps through a generator's square", function () {
  this.timeout(120_000);
  let faces: Awaited<ReturnType<typeof loadSourceFaces>>;
  before(async () => {
    faces = await loadSourceFaces();
  });

  it("change only the face, pasting through the square what the donor shows there, and lose fine detail at 128 px", () => {
    const random = createSeededRandom(21);
    let softer = 0;
    const tested = faces.faces.slice(0, 8);
    for (const [f, face] of tested.entries()) {
      const variation = { ...drawCropVariation(random.derive(f)), margin: 1.55, offsetX: 0, offsetY: 0, rotation: 0, flip: false };
      const render = (generatorSide: number, mirror = true) => renderFaceSample({ photos: faces.photos, face, donor: { face, mirror, generatorSide }, variation, size: SIZE });
      const real = renderFaceSample({ photos: faces.photos, face, variation, size: SIZE });
      const [large, small] = [render(512), render(128)];
      // The crop's top corners lie far outside the mask: the swap leaves them as they were.
      for (const swap of [large, small]) {
        for (const at of [0, (SIZE - 1) * 3, (8 * SIZE + 8) * 3]) assert.deepEqual(swap.pixels.subarray(at, at + 3), real.pixels.subarray(at, at + 3), `face ${f}: pixel outside the face kept`);
      }
      // The face's own picture, unmirrored, through a 512-px square (eyes 161 px apart, more than any face here): pasted back where it came from.
      const selfPaste = render(512, false);
      let difference = 0;
      for (let i = 0; i < real.pixels.length; i++) difference += Math.abs(real.pixels[i] - selfPaste.pixels[i]);
      assert.ok(difference / real.pixels.length < 1, `face ${f}: its own face pastes back in place (mean difference ${(difference / real.pixels.length).toFixed(2)})`);
      assert.ok(innerDifference(real.pixels, large.pixels, real.landmarks) > 2, `face ${f}: the mirrored face changes the inner face`);
      // These faces' eyes are 49–99 px apart, the 128-px square's 40: passing through it drops detail.
      if (innerDetail(small.pixels, small.landmarks) < 0.9 * innerDetail(large.pixels, large.landmarks)) softer++;
    }
    assert.ok(softer >= tested.length - 1, `the 128-px swap is softer inside the face on ${softer} of ${tested.length} faces`);
  });
});
