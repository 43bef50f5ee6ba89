/** Renders one dataset sample: a face crop, with or without another person's inner face swapped in first. */
import type { FacePoint } from "../face-nets/detect-faces";
import type { CropVariation } from "./crop-variation";
import { faceFrame } from "../face-nets/face-frame";
import type { SourceFace, SourcePhoto } from "./load-source-faces";
import { renderCrop } from "./render-crop";
import { swapFace } from "./swap-face";
import { swapFaceThroughGenerator } from "./swap-face-through-generator";

export interface RenderFaceSampleParams {
  photos: readonly SourcePhoto[];
  face: SourceFace;
  /**
   * Present for a deepfake: whose inner face replaces the target's, and whether it is mirrored first; with
   * generatorSide, pasted as a swap tool pastes its generator's output (swapFaceThroughGenerator) instead of swapFace's way.
   */
  donor?: { face: SourceFace; mirror: boolean; generatorSide?: number };
  variation: CropVariation;
  /** Output side in pixels. */
  size: number;
}

export interface RenderedFaceSample {
  /** size×size×3 RGB bytes. */
  pixels: Uint8Array;
  /** The target's 68 landmarks in crop coordinates (tests use them to find the swapped region). */
  landmarks: FacePoint[];
}

/** Moves the crop centre up this share of the landmark box, since the landmarks stop at the brows and the forehead belongs in a face crop. */
const FOREHEAD_SHIFT = 0.15;

/** Cuts the region around the face, swaps in the donor if any, then frames it; real and fake share every step but the swap. */
export function renderFaceSample(params: RenderFaceSampleParams): RenderedFaceSample {
  const { face, variation, size } = params;
  const photo = params.photos[face.photo].image;
  const frame = faceFrame(face.landmarks);
  const side = frame.size * variation.margin;
  const eyeX = (frame.rightEye.x - frame.leftEye.x) / frame.eyeDistance;
  const eyeY = (frame.rightEye.y - frame.leftEye.y) / frame.eyeDistance;
  // "Up" is perpendicular to the eye line, so tilted heads keep their forehead.
  const centre = {
    x: frame.centre.x + eyeY * FOREHEAD_SHIFT * frame.size + variation.offsetX * side,
    y: frame.centre.y - eyeX * FOREHEAD_SHIFT * frame.size + variation.offsetY * side,
  };
  // Big enough for the crop at any rotation (half diagonal ≈ 0.71 side); clipped to the photo, whose edge pixels then repeat.
  const half = side * 0.75 + 2;
  const x0 = Math.max(0, Math.floor(centre.x - half));
  const y0 = Math.max(0, Math.floor(centre.y - half));
  const x1 = Math.min(photo.width, Math.ceil(centre.x + half));
  const y1 = Math.min(photo.height, Math.ceil(centre.y + half));
  const region = { data: new Float32Array((x1 - x0) * (y1 - y0) * 3), width: x1 - x0, height: y1 - y0 };
  for (let y = y0; y < y1; y++) {
    region.data.set(photo.data.subarray((y * photo.width + x0) * 3, (y * photo.width + x1) * 3), (y - y0) * region.width * 3);
  }
  const landmarks = face.landmarks.map((p) => ({ x: p.x - x0, y: p.y - y0 }));
  if (params.donor !== undefined) {
    const donor = params.donor.face;
    const swap = { target: region, targetLandmarks: landmarks, donor: params.photos[donor.photo].image, donorLandmarks: donor.landmarks, mirror: params.donor.mirror };
    if (params.donor.generatorSide === undefined) swapFace(swap);
    else swapFaceThroughGenerator({ ...swap, side: params.donor.generatorSide });
  }
  const crop = renderCrop(region, { centre: { x: centre.x - x0, y: centre.y - y0 }, side, rotation: variation.rotation, flip: variation.flip, brightness: variation.brightness, size });
  return { pixels: crop.pixels, landmarks: landmarks.map(crop.toCrop) };
}
