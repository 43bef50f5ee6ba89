/** Resamples a rotated, optionally mirrored square of a picture into a size×size RGB crop. */
import type { FacePoint } from "../face-nets/detect-faces";
import { sampleBilinear, type RgbImage } from "./rgb-image";

export interface CropSpec {
  centre: FacePoint;
  /** Side of the square in source pixels. */
  side: number;
  /** Rotation of the square, degrees. */
  rotation: number;
  flip: boolean;
  brightness: number;
  /** Output side in pixels. */
  size: number;
}

export interface RenderedCrop {
  /** size×size×3 bytes. */
  pixels: Uint8Array;
  /** Where a source point lands in the crop. */
  toCrop(point: FacePoint): FacePoint;
}

// 2×2 samples per output pixel: enough anti-aliasing for the ≤2× shrink faces here need, and the same for every sample.
const SUBSAMPLES = [-0.25, 0.25];

/** Renders the crop with bilinear 2×2 supersampling and clamped edges. */
export function renderCrop(image: RgbImage, spec: CropSpec): RenderedCrop {
  const { size, side, centre, flip, brightness } = spec;
  const angle = (spec.rotation * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const scale = side / size;
  const pixels = new Uint8Array(size * size * 3);
  const sample = new Float32Array(3);
  const total = new Float32Array(3);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      total.fill(0);
      for (const sv of SUBSAMPLES) {
        for (const su of SUBSAMPLES) {
          const a = (u + 0.5 + su - size / 2) * scale * (flip ? -1 : 1);
          const b = (v + 0.5 + sv - size / 2) * scale;
          sampleBilinear(image, centre.x + a * cos - b * sin, centre.y + a * sin + b * cos, sample, 0);
          total[0] += sample[0];
          total[1] += sample[1];
          total[2] += sample[2];
        }
      }
      const at = (v * size + u) * 3;
      for (let c = 0; c < 3; c++) pixels[at + c] = Math.min(255, Math.max(0, Math.round((total[c] / 4) * brightness)));
    }
  }
  const toCrop = (p: FacePoint): FacePoint => {
    const dx = p.x - centre.x;
    const dy = p.y - centre.y;
    const a = (dx * cos + dy * sin) * (flip ? -1 : 1);
    const b = -dx * sin + dy * cos;
    return { x: a / scale + size / 2, y: b / scale + size / 2 };
  };
  return { pixels, toCrop };
}
