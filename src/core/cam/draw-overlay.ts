/**
 * An activation map drawn over the picture, in plain typed arrays (no Node, no DOM): predict's PNG overlays, the
 * cleaner's and the check report's thumbnails and the static Space's toggle all draw with this one file.
 */
import type { UnitBox } from "./unit-box";

/** Parameters of drawCamOverlay. */
export interface DrawCamOverlayParams {
  /** The model's input, NHWC RGB 0..255, height x width; without it the heat alone is drawn on transparent RGBA. */
  picture?: ArrayLike<number>;
  /** The map at the same size; its positive part is drawn. */
  map: ArrayLike<number>;
  height: number;
  width: number;
  face?: UnitBox;
}

/** The face box's colour (one pixel wide). */
const BOX_RGB = [0, 229, 255];
/** displayTop's widest stride (prime, so it does not follow the rows): ~1,700 samples of a 224-px map. */
const SAMPLE = 29;
/** Smaller maps are sampled more densely, so the percentile never rests on fewer values than this. */
const MIN_SAMPLES = 1024;
/** Heat levels: the ramp, its opacity and the picture's weight are looked up, not computed per pixel. */
const LEVELS = 256;
/** The picture is dimmed a little under the heat, so the colours read on light pictures. */
const DIM = 0.85;

/** Per level: opacity (sqrt, so the weaker places stay visible beside the strongest) and ramp colour. */
const LEVEL_ALPHA = new Float32Array(LEVELS);
const LEVEL_RGB = new Float32Array(LEVELS * 3);
for (let level = 0; level < LEVELS; level++) {
  const v = level / (LEVELS - 1);
  LEVEL_ALPHA[level] = 0.75 * Math.sqrt(v);
  // Dark red → yellow → white.
  LEVEL_RGB[level * 3] = 255 * Math.min(1, 0.4 + 1.2 * v);
  LEVEL_RGB[level * 3 + 1] = 255 * Math.min(1, Math.max(0, 2 * v - 0.5));
  LEVEL_RGB[level * 3 + 2] = 255 * Math.max(0, 3 * v - 2);
}

/**
 * RGB pixels (with `picture`: the picture dimmed, the positive map in warm colours over it) or RGBA pixels (without:
 * the heat alone, its opacity in alpha, for laying over a picture shown elsewhere); the face box in cyan on either.
 */
export function drawCamOverlay(params: DrawCamOverlayParams): Uint8ClampedArray<ArrayBuffer> {
  const { picture, map, height, width } = params;
  const channels = picture ? 3 : 4;
  const out = new Uint8ClampedArray(width * height * channels);
  const top = displayTop(map, height * width);
  const toLevel = top > 0 ? (LEVELS - 1) / top : 0;
  for (let i = 0, at = 0; i < height * width; i++, at += channels) {
    const value = map[i];
    const level = value > 0 ? Math.min(LEVELS - 1, Math.round(value * toLevel)) : 0;
    const alpha = LEVEL_ALPHA[level];
    if (picture) {
      const keep = (1 - alpha) * DIM;
      out[at] = keep * picture[i * 3] + alpha * LEVEL_RGB[level * 3];
      out[at + 1] = keep * picture[i * 3 + 1] + alpha * LEVEL_RGB[level * 3 + 1];
      out[at + 2] = keep * picture[i * 3 + 2] + alpha * LEVEL_RGB[level * 3 + 2];
    } else {
      out[at] = LEVEL_RGB[level * 3];
      out[at + 1] = LEVEL_RGB[level * 3 + 1];
      out[at + 2] = LEVEL_RGB[level * 3 + 2];
      out[at + 3] = 255 * alpha;
    }
  }
  if (params.face) drawBox(out, params.face, width, height, channels);
  return out;
}

/** The box's one-pixel outline, drawn over the pixels. */
function drawBox(out: Uint8ClampedArray, box: UnitBox, width: number, height: number, channels: number): void {
  const clampX = (x: number): number => Math.min(width - 1, Math.max(0, x));
  const clampY = (y: number): number => Math.min(height - 1, Math.max(0, y));
  const [x0, x1] = [clampX(Math.round(box.x * width)), clampX(Math.round((box.x + box.width) * width) - 1)];
  const [y0, y1] = [clampY(Math.round(box.y * height)), clampY(Math.round((box.y + box.height) * height) - 1)];
  const paint = (x: number, y: number): void => {
    const at = (y * width + x) * channels;
    out[at] = BOX_RGB[0];
    out[at + 1] = BOX_RGB[1];
    out[at + 2] = BOX_RGB[2];
    if (channels === 4) out[at + 3] = 255;
  };
  for (let x = x0; x <= x1; x++) {
    paint(x, y0);
    paint(x, y1);
  }
  for (let y = y0; y <= y1; y++) {
    paint(x0, y);
    paint(x1, y);
  }
}

/**
 * The value drawn at full heat: the 98th percentile of the positive values, not the maximum, because a max-pooled
 * feature puts its whole term on one cell and that spike would leave the rest of the map invisible. Read off a
 * sample of the pixels: the map is smooth (upsampled from a coarse grid), and sorting them all cost a third of an overlay.
 */
export function displayTop(map: ArrayLike<number>, length: number): number {
  // A typed array sorts numerically in native code: a JS comparator on a number[] cost ~4 ms a map.
  const stride = Math.max(1, Math.min(SAMPLE, Math.floor(length / MIN_SAMPLES)));
  const positive = new Float64Array(Math.ceil(length / stride));
  let count = 0;
  for (let i = 0; i < length; i += stride) if (map[i] > 0) positive[count++] = map[i];
  if (count === 0) return 0;
  const sorted = positive.subarray(0, count).sort();
  return sorted[Math.min(count - 1, Math.floor(0.98 * count))];
}
