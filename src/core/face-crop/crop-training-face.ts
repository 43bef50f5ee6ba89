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
import type { FacePoint } from "../face-nets/detect-faces";
import { faceFrame } from "../face-nets/face-frame";
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
  const columns = axisSamples(size, scale, centre.x, width, flip, 3);
  const rows = axisSamples(size, scale, centre.y, height, false, 1);
  // Bilinear sampling is separable: each source row a sample reads is interpolated across once, at every column
  // sample (the `t` of one sample, the bottom row's value of another), then rows are mixed. The operations and their
  // order are those of one bilinear sample after another, so the bytes are too (test/crop-resampling.spec.ts); the page runs this code.
  const across = size * 2 * 3;
  const slotOfRow = new Int32Array(height).fill(-1);
  let slots = 0;
  for (const offsets of [rows.first, rows.second]) for (const row of offsets) if (slotOfRow[row] < 0) slotOfRow[row] = slots++;
  if (scratch.length < slots * across) scratch = new Float64Array(slots * across);
  const interpolated = scratch;
  for (let row = 0; row < height; row++) {
    const slot = slotOfRow[row];
    if (slot < 0) continue;
    const source = row * width * 3;
    for (let column = 0, at = slot * across; column < size * 2; column++, at += 3) {
      const left = source + columns.first[column];
      const right = source + columns.second[column];
      const ax = columns.weight[column];
      interpolated[at] = data[left] + (data[right] - data[left]) * ax;
      interpolated[at + 1] = data[left + 1] + (data[right + 1] - data[left + 1]) * ax;
      interpolated[at + 2] = data[left + 2] + (data[right + 2] - data[left + 2]) * ax;
    }
  }
  const pixels = new Uint8Array(size * size * 3);
  for (let v = 0, out = 0; v < size; v++) {
    const top0 = slotOfRow[rows.first[v * 2]] * across;
    const bottom0 = slotOfRow[rows.second[v * 2]] * across;
    const ay0 = rows.weight[v * 2];
    const top1 = slotOfRow[rows.first[v * 2 + 1]] * across;
    const bottom1 = slotOfRow[rows.second[v * 2 + 1]] * across;
    const ay1 = rows.weight[v * 2 + 1];
    for (let u = 0, column = 0; u < size; u++, out += 3, column += 6) {
      for (let c = 0; c < 3; c++) {
        const first = column + c;
        const second = column + 3 + c;
        let t = interpolated[top0 + first];
        let sum = t + (interpolated[bottom0 + first] - t) * ay0;
        t = interpolated[top0 + second];
        sum += t + (interpolated[bottom0 + second] - t) * ay0;
        t = interpolated[top1 + first];
        sum += t + (interpolated[bottom1 + first] - t) * ay1;
        t = interpolated[top1 + second];
        sum += t + (interpolated[bottom1 + second] - t) * ay1;
        // A mean of bilinear samples of bytes lies in [0, 255]: the store truncates, so + 0.5 rounds as Math.round does.
        pixels[out + c] = sum / 4 + 0.5;
      }
    }
  }
  return pixels;
}

/** resampleUpright's rows interpolated across, reused from call to call (the function is synchronous). */
let scratch = new Float64Array(0);

/** For each output index and subsample along one axis: the two source pixels' byte offsets (index × stride) and the weight of the second. */
function axisSamples(size: number, scale: number, centre: number, extent: number, flip: boolean, stride: number): { first: Int32Array; second: Int32Array; weight: Float64Array } {
  const count = size * 2;
  const first = new Int32Array(count);
  const second = new Int32Array(count);
  const weight = new Float64Array(count);
  for (let i = 0; i < size; i++) {
    for (let s = 0; s < 2; s++) {
      const offset = (i + 0.5 + SUBSAMPLES[s] - size / 2) * scale * (flip ? -1 : 1);
      const f = Math.min(Math.max(centre + offset - 0.5, 0), extent - 1);
      const at = i * 2 + s;
      const low = Math.floor(f);
      first[at] = low * stride;
      second[at] = Math.min(low + 1, extent - 1) * stride;
      weight[at] = f - low;
    }
  }
  return { first, second, weight };
}
