/**
 * A face swap the way one-shot swap tools paste their output (inswapper_128 in roop and FaceFusion): the donor face is
 * warped into a small aligned square (the generator's output size), then warped back onto the target through a
 * blurred ellipse fixed in that square, bilinearly and without prefiltering (cv2.warpAffine's defaults), and without
 * colour matching. (FaceFusion's default box mask would also paste the mirrored donor's hair and background here,
 * where a real generator renders the target's pose; an ellipse over brows, cheeks and mouth keeps to the face.)
 * Held-out test fakes only: it shares neither mask nor colour code with swapFace or the self-blends, so a detector
 * trained on those meets a blend it never saw.
 */
import type { FacePoint } from "../face-nets/detect-faces";
import { faceFrame } from "../face-nets/face-frame";
import { sampleBilinear, type RgbImage } from "./rgb-image";
import { donorMapping } from "./swap-face";

export interface SwapFaceThroughGeneratorParams {
  /** The picture to change, in place. */
  target: RgbImage & { data: Float32Array };
  targetLandmarks: readonly FacePoint[];
  donor: RgbImage;
  donorLandmarks: readonly FacePoint[];
  mirror?: boolean;
  /** The square's side in pixels (inswapper: 128). */
  side: number;
}

/** Where the eyes sit in the square (ArcFace's 112-px template: eye midpoint at 0.5, 0.46 of the side; eyes 0.315 apart). */
const EYE_MIDPOINT = { x: 0.5, y: 0.46 };
const EYE_DISTANCE = 0.315;
/** The mask's ellipse in the square, in sides: from the brows to under the mouth, cheek to cheek. */
const MASK_CENTRE = { x: 0.5, y: 0.6 };
const MASK_RADII = { x: 0.3, y: 0.31 };
/** FaceFusion's default face_mask_blur: its Gaussian's sigma is a quarter of side·0.5·blur. */
const MASK_BLUR = 0.3;

/** Pastes the donor's face, as a generator of `side` pixels would render it, over the target's. */
export function swapFaceThroughGenerator(params: SwapFaceThroughGeneratorParams): void {
  const { target, side } = params;
  const frame = faceFrame(params.targetLandmarks);
  const toDonor = donorMapping(frame, faceFrame(params.donorLandmarks), params.mirror ?? false);
  const mid = { x: (frame.leftEye.x + frame.rightEye.x) / 2, y: (frame.leftEye.y + frame.rightEye.y) / 2 };
  const along = { x: (frame.rightEye.x - frame.leftEye.x) / frame.eyeDistance, y: (frame.rightEye.y - frame.leftEye.y) / frame.eyeDistance };
  const targetPixelsPerSquarePixel = frame.eyeDistance / (EYE_DISTANCE * side);
  const squareToTarget = (gx: number, gy: number): FacePoint => {
    const u = (gx - EYE_MIDPOINT.x * side) * targetPixelsPerSquarePixel;
    const v = (gy - EYE_MIDPOINT.y * side) * targetPixelsPerSquarePixel;
    return { x: mid.x + u * along.x - v * along.y, y: mid.y + u * along.y + v * along.x };
  };
  const targetToSquare = (x: number, y: number): FacePoint => {
    const dx = x - mid.x;
    const dy = y - mid.y;
    return { x: EYE_MIDPOINT.x * side + (dx * along.x + dy * along.y) / targetPixelsPerSquarePixel, y: EYE_MIDPOINT.y * side + (-dx * along.y + dy * along.x) / targetPixelsPerSquarePixel };
  };
  const square = { data: new Float32Array(side * side * 3), width: side, height: side };
  for (let gy = 0; gy < side; gy++) {
    for (let gx = 0; gx < side; gx++) {
      const source = toDonor(squareToTarget(gx + 0.5, gy + 0.5));
      sampleBilinear(params.donor, source.x, source.y, square.data, (gy * side + gx) * 3);
    }
  }
  const mask = { data: blurredEllipseMask(side), width: side, height: side };
  // Every target pixel whose centre falls inside the square's footprint (its bounding box in the target).
  const corners = [squareToTarget(0, 0), squareToTarget(side, 0), squareToTarget(0, side), squareToTarget(side, side)];
  const x0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.x))));
  const x1 = Math.min(target.width, Math.ceil(Math.max(...corners.map((p) => p.x))));
  const y0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.y))));
  const y1 = Math.min(target.height, Math.ceil(Math.max(...corners.map((p) => p.y))));
  const pixel = new Float32Array(3);
  const weight = new Float32Array(3);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const { x: gx, y: gy } = targetToSquare(x + 0.5, y + 0.5);
      if (gx < 0 || gy < 0 || gx > side || gy > side) continue;
      sampleBilinear(mask, gx, gy, weight, 0);
      if (weight[0] <= 0) continue;
      sampleBilinear(square, gx, gy, pixel, 0);
      const at = (y * target.width + x) * 3;
      for (let c = 0; c < 3; c++) target.data[at + c] = weight[0] * Math.min(Math.max(pixel[c], 0), 255) + (1 - weight[0]) * target.data[at + c];
    }
  }
}

/** The ellipse as ones inside, zeros outside, Gaussian-blurred, as 3 equal channels for the sampler. */
function blurredEllipseMask(side: number): Float32Array {
  const sigma = Math.max(side * 0.5 * MASK_BLUR * 0.25, 0.5);
  const radius = Math.ceil(sigma * 3);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((s, v) => s + v, 0);
  let plane = new Float32Array(side * side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const u = ((x + 0.5) / side - MASK_CENTRE.x) / MASK_RADII.x;
      const v = ((y + 0.5) / side - MASK_CENTRE.y) / MASK_RADII.y;
      plane[y * side + x] = u * u + v * v <= 1 ? 1 : 0;
    }
  }
  for (const [dx, dy] of [[1, 0], [0, 1]]) {
    const blurred = new Float32Array(side * side);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++) {
          const [sx, sy] = [x + k * dx, y + k * dy];
          if (sx >= 0 && sy >= 0 && sx < side && sy < side) sum += plane[sy * side + sx] * kernel[k + radius];
        }
        blurred[y * side + x] = sum / total;
      }
    }
    plane = blurred;
  }
  const mask = new Float32Array(side * side * 3);
  plane.forEach((value, i) => mask.fill(value, i * 3, i * 3 + 3));
  return mask;
}
