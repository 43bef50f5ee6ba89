/** The random framing and photometric changes that multiply a few faces into many samples, drawn the same way for both classes. */
import type { SeededRandom } from "../shared/seeded-random";

/** How one sample is framed and lit; recorded in provenance so any image can be regenerated. */
export interface CropVariation {
  /** Crop side as a multiple of the landmarks' bounding box. */
  margin: number;
  /** Crop centre shift as a fraction of the crop side. */
  offsetX: number;
  offsetY: number;
  /** Extra in-plane rotation of the crop, degrees. */
  rotation: number;
  /** Mirror the crop left-right. */
  flip: boolean;
  /** Pixel values are multiplied by this. */
  brightness: number;
}

// Ranges stay mild so every crop still shows one whole face; the rounding keeps provenance short and readable.
const MARGIN = [1.3, 1.8] as const;
const OFFSET = 0.06;
const ROTATION = 10;
const BRIGHTNESS = [0.85, 1.15] as const;

/** Draws one variation; callers pass a per-sample stream so samples do not depend on each other. */
export function drawCropVariation(random: SeededRandom): CropVariation {
  const round = (value: number, places: number): number => Math.round(value * 10 ** places) / 10 ** places;
  return {
    margin: round(random.uniform(MARGIN[0], MARGIN[1]), 3),
    offsetX: round(random.uniform(-OFFSET, OFFSET), 3),
    offsetY: round(random.uniform(-OFFSET, OFFSET), 3),
    rotation: round(random.uniform(-ROTATION, ROTATION), 1),
    flip: random.chance(0.5),
    brightness: round(random.uniform(BRIGHTNESS[0], BRIGHTNESS[1]), 3),
  };
}
