/**
 * cropTrainingFace resamples separably (each source row interpolated across once, then rows mixed) and rounds by
 * truncating its store, for speed (issue 15). Both must leave every byte as one bilinear 2×2 sample after another
 * gives it, with clamped edges: import, predict, check and the static Space cut their crops with this code, and a
 * dataset's crops must not change under a model trained on them.
 */
import assert from "node:assert/strict";
import { cropTrainingFace } from "../src/core/face-crop/crop-training-face";
import { loadSourceFaces } from "../src/core/reference-data/load-source-faces";
import type { RgbImage } from "../src/core/reference-data/rgb-image";
import { faceFrame } from "../src/core/face-nets/face-frame";
import type { FacePoint } from "../src/core/face-nets/detect-faces";

/** The crop sample by sample: 2×2 bilinear samples per output pixel, in double precision, rounded with Math.round. */
function referenceCrop(image: RgbImage, centre: FacePoint, side: number, size: number, flip: boolean): Uint8Array {
  const { data, width, height } = image;
  const scale = side / size;
  const pixels = new Uint8Array(size * size * 3);
  const at = (i: number, sub: number, middle: number, extent: number, sign: number) => {
    const f = Math.min(Math.max(middle + (i + 0.5 + sub - size / 2) * scale * sign - 0.5, 0), extent - 1);
    const low = Math.floor(f);
    return { low, high: Math.min(low + 1, extent - 1), weight: f - low };
  };
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (const sv of [-0.25, 0.25]) {
          const row = at(v, sv, centre.y, height, 1);
          for (const su of [-0.25, 0.25]) {
            const column = at(u, su, centre.x, width, flip ? -1 : 1);
            const pixel = (y: number, x: number) => data[(y * width + x) * 3 + c];
            const top = pixel(row.low, column.low) + (pixel(row.low, column.high) - pixel(row.low, column.low)) * column.weight;
            const bottom = pixel(row.high, column.low) + (pixel(row.high, column.high) - pixel(row.high, column.low)) * column.weight;
            sum += top + (bottom - top) * row.weight;
          }
        }
        pixels[(v * size + u) * 3 + c] = Math.min(255, Math.max(0, Math.round(sum / 4)));
      }
    }
  }
  return pixels;
}

describe("the face crop's resampling (issue 15)", () => {
  it("gives the bytes of one bilinear 2×2 sample after another: shrunk, enlarged, mirrored and past the picture's edges", async () => {
    const { photos, faces } = await loadSourceFaces();
    let compared = 0;
    for (const [n, face] of faces.slice(0, 8).entries()) {
      const image = photos[face.photo].image;
      // Framings from a tight enlargement to a wide shrink; every third one moved so its square runs past the picture's edge.
      for (const [k, margin] of [0.6, 1.55, 3].entries()) {
        const shift = (n + k) % 3 === 0 ? faceFrame(face.landmarks).size * 1.2 : 0;
        const landmarks = face.landmarks.map((p) => ({ x: p.x - shift, y: p.y + shift / 2 }));
        for (const flip of [false, true]) {
          const crop = cropTrainingFace({ image, landmarks, margin, flip, size: 96 + 32 * k });
          const expected = referenceCrop(image, crop.centre, crop.side, crop.size, flip);
          const differing = crop.pixels.findIndex((value, i) => value !== expected[i]);
          assert.equal(differing, -1, `${face.source} face ${face.faceIndex}, margin ${margin}, flip ${flip}: byte ${differing} is ${crop.pixels[differing]}, sample by sample ${expected[differing]}`);
          compared += 1;
        }
      }
    }
    assert.equal(compared, 48);
  });
});
