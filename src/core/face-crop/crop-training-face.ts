/**
 * Frames a detected face the way the reference dataset framed its training crops (render-face-sample.ts), so the
 * model sees what it learned from: a square around the 68 landmarks' bounding box, its side `margin` times the box's
 * longest side (training drew 1.3-1.8 at random; 1.55 is the middle), its centre moved up 0.15 box sides across the
 * eye line to take in the forehead, resampled with the same bilinear 2×2 supersampling and clamped edges into
 * 224×224. The random parts of training (offset ±6 %, rotation ±10°, mirroring, brightness ±15 %) are left at
 * their centre: no offset, upright, unchanged brightness; mirroring is left to the caller (check averages a plain
 * and a mirrored view, fastai's TTA). Test check.spec.ts pins this framing to renderFaceSample's.
 * The resampling is renderCrop's arithmetic specialised to an upright square (sample positions separate into
 * columns and rows), about 5x faster, which matters at two crops per face per frame.
 */
import type { FacePoint } from "../reference-data/detect-faces";
import { faceFrame } from "../reference-data/face-frame";
import type { RgbImage } from "../reference-data/rgb-image";
import { TRAINING_CROP_SIZE, TRAINING_MARGIN } from "./face-crop-settings";

export { TRAINING_CROP_SIZE, TRAINING_MARGIN };

/** render-face-sample.ts's FOREHEAD_SHIFT. */
const FOREHEAD_SHIFT = 0.15;

/** Parameters of cropTrainingFace. */
export interface CropTrainingFaceParams {
  /** The frame, packed RGB. */
  image: RgbImage;
  /** The face's 68 landmarks in frame pixels. */
  landmarks: readonly FacePoint[];
  /** Crop side as a multiple of the landmarks' bounding box (default TRAINING_MARGIN). */
  margin?: number;
  /** Output side in pixels (default TRAINING_CROP_SIZE). */
  size?: number;
  /** Mirror the crop left-right, as training did to half its samples (test-time augmentation). */
  flip?: boolean;
}

/** A crop and the square it was cut from, in frame pixels (for drawing it on the frame). */
export interface TrainingCrop {
  /** size×size×3 RGB bytes. */
  pixels: Uint8Array;
  size: number;
  centre: FacePoint;
  side: number;
  /** The face's landmarks in the crop's pixels (mirrored with it when flipped): blending statistics are measured inside them. */
  landmarks: FacePoint[];
}

/** Cuts the face out of the frame as the training crops were cut. */
export function cropTrainingFace(params: CropTrainingFaceParams): TrainingCrop {
  const size = params.size ?? TRAINING_CROP_SIZE;
  const frame = faceFrame(params.landmarks);
  const side = frame.size * (params.margin ?? TRAINING_MARGIN);
  // Coincident eye centres (a degenerate detection) leave "up" as the image's up.
  const eyeDistance = frame.eyeDistance || 1;
  const eyeX = frame.eyeDistance ? (frame.rightEye.x - frame.leftEye.x) / eyeDistance : 1;
  const eyeY = (frame.rightEye.y - frame.leftEye.y) / eyeDistance;
  const centre = { x: frame.centre.x + eyeY * FOREHEAD_SHIFT * frame.size, y: frame.centre.y - eyeX * FOREHEAD_SHIFT * frame.size };
  const pixels = resampleUpright(params.image, centre, side, size, params.flip ?? false);
  // resampleUpright's mapping inverted: output coordinate (pixel centres at +0.5) = (source − centre) / scale + size / 2.
  const toCrop = (p: FacePoint): FacePoint => {
    const x = ((p.x - centre.x) * size) / side + size / 2;
    return { x: params.flip ? size - x : x, y: ((p.y - centre.y) * size) / side + size / 2 };
  };
  return { pixels, size, centre, side, landmarks: params.landmarks.map(toCrop) };
}

// renderCrop's 2×2 samples per output pixel, at these offsets in output pixels.
const SUBSAMPLES = [-0.25, 0.25];

/**
 * renderCrop with rotation 0 and brightness 1: each output pixel averages 4 bilinear samples of the source, edges
 * clamped (sampleBilinear's convention: pixel centres at +0.5). Column and row sample positions are computed once.
 */
function resampleUpright(image: RgbImage, centre: FacePoint, side: number, size: number, flip: boolean): Uint8Array {
  const { data, width, height } = image;
  const scale = side / size;
  const columns = axisSamples(size, scale, centre.x, width, flip);
  const rows = axisSamples(size, scale, centre.y, height, false);
  const pixels = new Uint8Array(size * size * 3);
  const rowStride = width * 3;
  for (let v = 0; v < size; v++) {
    let out = v * size * 3;
    for (let u = 0; u < size; u++, out += 3) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sv = 0; sv < 2; sv++) {
        const ri = v * 2 + sv;
        const top = rows.first[ri] * rowStride;
        const bottom = rows.second[ri] * rowStride;
        const ay = rows.weight[ri];
        for (let su = 0; su < 2; su++) {
          const ci = u * 2 + su;
          const left = columns.first[ci] * 3;
          const right = columns.second[ci] * 3;
          const ax = columns.weight[ci];
          const i00 = top + left;
          const i10 = top + right;
          const i01 = bottom + left;
          const i11 = bottom + right;
          let t = data[i00] + (data[i10] - data[i00]) * ax;
          r += t + (data[i01] + (data[i11] - data[i01]) * ax - t) * ay;
          t = data[i00 + 1] + (data[i10 + 1] - data[i00 + 1]) * ax;
          g += t + (data[i01 + 1] + (data[i11 + 1] - data[i01 + 1]) * ax - t) * ay;
          t = data[i00 + 2] + (data[i10 + 2] - data[i00 + 2]) * ax;
          b += t + (data[i01 + 2] + (data[i11 + 2] - data[i01 + 2]) * ax - t) * ay;
        }
      }
      pixels[out] = Math.min(255, Math.max(0, Math.round(r / 4)));
      pixels[out + 1] = Math.min(255, Math.max(0, Math.round(g / 4)));
      pixels[out + 2] = Math.min(255, Math.max(0, Math.round(b / 4)));
    }
  }
  return pixels;
}

/** For each output index and subsample along one axis: the two source pixel indices and the weight of the second. */
function axisSamples(size: number, scale: number, centre: number, extent: number, flip: boolean): { first: Int32Array; second: Int32Array; weight: Float64Array } {
  const count = size * 2;
  const first = new Int32Array(count);
  const second = new Int32Array(count);
  const weight = new Float64Array(count);
  for (let i = 0; i < size; i++) {
    for (let s = 0; s < 2; s++) {
      const offset = (i + 0.5 + SUBSAMPLES[s] - size / 2) * scale * (flip ? -1 : 1);
      const f = Math.min(Math.max(centre + offset - 0.5, 0), extent - 1);
      const at = i * 2 + s;
      first[at] = Math.floor(f);
      second[at] = Math.min(first[at] + 1, extent - 1);
      weight[at] = f - first[at];
    }
  }
  return { first, second, weight };
}
