/** A crude, local face swap: the donor's inner face, aligned by the eyes, colour-matched and feather-blended onto the target. */
import type { FacePoint } from "../face-nets/detect-faces";
import { faceFrame, type FaceFrame } from "../face-nets/face-frame";
import { blendThroughMask, faceMask, forEachMasked, type FaceMask } from "./face-mask";
import { sampleBilinear, type RgbImage } from "./rgb-image";

export interface SwapFaceParams {
  /** The picture to change, in place; float so the blend is not rounded twice. */
  target: RgbImage & { data: Float32Array };
  /** The target face's 68 landmarks in `target` coordinates. */
  targetLandmarks: readonly FacePoint[];
  donor: RgbImage;
  donorLandmarks: readonly FacePoint[];
  /** Mirror the donor face first (used when it looks the other way). */
  mirror?: boolean;
}

/** How far the blend mask reaches beyond the landmark hull, in eye distances (covers brow tops and lip edges). */
const MASK_GROWTH = 0.12;
/** Width of the soft edge of the mask, in eye distances, so no hard seam is left. */
const FEATHER = 0.3;
/** Colour matching may stretch or shrink each channel's contrast at most this much, so odd lighting cannot blow it out. */
const MAX_STD_RATIO = 1.5;

/** Pastes the donor's eyes, brows, nose and mouth over the target's. */
export function swapFace(params: SwapFaceParams): void {
  const targetFrame = faceFrame(params.targetLandmarks);
  const toDonor = donorMapping(targetFrame, faceFrame(params.donorLandmarks), params.mirror ?? false);
  const eyeDistance = targetFrame.eyeDistance;
  const mask = faceMask({ hull: targetFrame.innerHull, grow: MASK_GROWTH * eyeDistance, feather: FEATHER * eyeDistance, image: params.target });
  const { area } = mask;
  const donorPixels = new Float32Array(mask.values.length * 3);
  const point = { x: 0, y: 0 };
  for (let y = 0; y < area.height; y++) {
    for (let x = 0; x < area.width; x++) {
      const i = y * area.width + x;
      if (mask.values[i] === 0) continue;
      point.x = area.x + x + 0.5;
      point.y = area.y + y + 0.5;
      const source = toDonor(point);
      sampleBilinear(params.donor, source.x, source.y, donorPixels, i * 3);
    }
  }
  matchColours(params.target, mask, donorPixels);
  blendThroughMask({ target: params.target, mask, source: donorPixels });
}

/** Maps a target point to the donor photo: a similarity (or mirrored similarity) fixed by the two eye centres. */
export function donorMapping(target: FaceFrame, donor: FaceFrame, mirror: boolean): (p: FacePoint) => FacePoint {
  // Mirroring swaps which donor eye the target's left eye lands on.
  const [dLeft, dRight] = mirror ? [donor.rightEye, donor.leftEye] : [donor.leftEye, donor.rightEye];
  const tMid = { x: (target.leftEye.x + target.rightEye.x) / 2, y: (target.leftEye.y + target.rightEye.y) / 2 };
  const dMid = { x: (dLeft.x + dRight.x) / 2, y: (dLeft.y + dRight.y) / 2 };
  const te = { x: (target.rightEye.x - target.leftEye.x) / target.eyeDistance, y: (target.rightEye.y - target.leftEye.y) / target.eyeDistance };
  const de = { x: (dRight.x - dLeft.x) / donor.eyeDistance, y: (dRight.y - dLeft.y) / donor.eyeDistance };
  const scale = donor.eyeDistance / target.eyeDistance;
  // Perpendiculars keep the same handedness in both faces only when not mirrored; a mirror flips the donor's one.
  const dn = mirror ? { x: de.y, y: -de.x } : { x: -de.y, y: de.x };
  return (p) => {
    const dx = p.x - tMid.x;
    const dy = p.y - tMid.y;
    const u = (dx * te.x + dy * te.y) * scale;
    const v = (-dx * te.y + dy * te.x) * scale;
    return { x: dMid.x + u * de.x + v * dn.x, y: dMid.y + u * de.y + v * dn.y };
  };
}

/** Reinhard-style transfer in YCbCr: the donor gets the target's mean and spread of brightness and colour over the mask's core. */
function matchColours(target: RgbImage & { data: Float32Array }, mask: FaceMask, donorPixels: Float32Array): void {
  const sums = new Float64Array(12); // per YCbCr channel: target sum, target sum of squares, donor sum, donor sum of squares
  const t = new Float32Array(3);
  const d = new Float32Array(3);
  let n = 0;
  forEachMasked(mask, target.width, 0.5, (i, at) => {
    n++;
    toYCbCr(target.data, at, t);
    toYCbCr(donorPixels, i * 3, d);
    for (let c = 0; c < 3; c++) {
      sums[c * 4] += t[c];
      sums[c * 4 + 1] += t[c] * t[c];
      sums[c * 4 + 2] += d[c];
      sums[c * 4 + 3] += d[c] * d[c];
    }
  });
  if (n === 0) return;
  const gain = new Float32Array(3);
  const shift = new Float32Array(3);
  for (let c = 0; c < 3; c++) {
    const tMean = sums[c * 4] / n;
    const dMean = sums[c * 4 + 2] / n;
    const tStd = Math.sqrt(Math.max(sums[c * 4 + 1] / n - tMean * tMean, 1e-6));
    const dStd = Math.sqrt(Math.max(sums[c * 4 + 3] / n - dMean * dMean, 1e-6));
    gain[c] = Math.min(Math.max(tStd / dStd, 1 / MAX_STD_RATIO), MAX_STD_RATIO);
    shift[c] = tMean - dMean * gain[c];
  }
  for (let i = 0; i < mask.values.length; i++) {
    if (mask.values[i] === 0) continue;
    toYCbCr(donorPixels, i * 3, d);
    for (let c = 0; c < 3; c++) d[c] = d[c] * gain[c] + shift[c];
    fromYCbCr(d, donorPixels, i * 3);
  }
}

/** Full-range BT.601 RGB → YCbCr, chroma centred on 0; separating brightness keeps lighting changes from tinting the face. */
function toYCbCr(rgb: ArrayLike<number>, at: number, out: Float32Array): void {
  const r = rgb[at];
  const g = rgb[at + 1];
  const b = rgb[at + 2];
  out[0] = 0.299 * r + 0.587 * g + 0.114 * b;
  out[1] = -0.168736 * r - 0.331264 * g + 0.5 * b;
  out[2] = 0.5 * r - 0.418688 * g - 0.081312 * b;
}

/** Inverse of toYCbCr. */
function fromYCbCr(ycc: Float32Array, out: Float32Array, at: number): void {
  const [y, cb, cr] = [ycc[0], ycc[1], ycc[2]];
  out[at] = y + 1.402 * cr;
  out[at + 1] = y - 0.344136 * cb - 0.714136 * cr;
  out[at + 2] = y + 1.772 * cb;
}
