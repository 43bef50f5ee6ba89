/** The picture the model saw with its activation map laid over it (and the face box), as a PNG. */
import sharp from "sharp";
import type { UnitBox } from "./map-mass";

/** Parameters of renderCamOverlay. */
export interface RenderCamOverlayParams {
  /** The model's input, NHWC RGB 0..255, height x width. */
  picture: Float32Array;
  /** The map at the same size; its positive part is drawn. */
  map: ArrayLike<number>;
  height: number;
  width: number;
  face?: UnitBox;
  /** Output is this many times the input's side (default 1: the picture as the model saw it). */
  zoom?: number;
}

/** The face box's colour and line width (output pixels). */
const BOX_RGB = [0, 229, 255];
const BOX_LINE = 1;
/** displayTop's stride (prime, so it does not follow the rows). */
const SAMPLE = 7;

/**
 * PNG bytes: the picture dimmed a little, the positive map in warm colours over it, the face box in cyan. Drawn
 * pixel by pixel into one buffer (no SVG layer), since predict --cam writes one per picture and must stay cheap.
 */
export async function renderCamOverlay(params: RenderCamOverlayParams): Promise<Buffer> {
  const { picture, map, height, width } = params;
  const zoom = params.zoom ?? 1;
  const top = displayTop(map, height * width);
  const [W, H] = [width * zoom, height * zoom];
  const out = Buffer.alloc(W * H * 3);
  const box = params.face ? boxEdges(params.face, W, H) : undefined;
  const rgb = [0, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const heat = top > 0 ? Math.min(1, Math.max(0, map[i]) / top) : 0;
      // sqrt: the weaker places stay visible beside the strongest.
      const alpha = 0.75 * Math.sqrt(heat);
      heatColour(heat, rgb);
      for (let c = 0; c < 3; c++) rgb[c] = Math.round((1 - alpha) * 0.85 * picture[i * 3 + c] + alpha * rgb[c]);
      for (let dy = 0; dy < zoom; dy++) {
        for (let dx = 0; dx < zoom; dx++) {
          const [X, Y] = [x * zoom + dx, y * zoom + dy];
          const at = (Y * W + X) * 3;
          const colour = box && onEdge(box, X, Y) ? BOX_RGB : rgb;
          out[at] = colour[0];
          out[at + 1] = colour[1];
          out[at + 2] = colour[2];
        }
      }
    }
  }
  return sharp(out, { raw: { width: W, height: H, channels: 3 } }).png({ compressionLevel: 2 }).toBuffer();
}

/** The box in output pixels. */
function boxEdges(box: UnitBox, width: number, height: number): { x0: number; x1: number; y0: number; y1: number } {
  return { x0: Math.round(box.x * width), x1: Math.round((box.x + box.width) * width) - 1, y0: Math.round(box.y * height), y1: Math.round((box.y + box.height) * height) - 1 };
}

/** Whether an output pixel lies on the box's outline. */
function onEdge(box: { x0: number; x1: number; y0: number; y1: number }, x: number, y: number): boolean {
  const inX = x >= box.x0 && x <= box.x1;
  const inY = y >= box.y0 && y <= box.y1;
  return (inY && (Math.abs(x - box.x0) < BOX_LINE || Math.abs(x - box.x1) < BOX_LINE)) || (inX && (Math.abs(y - box.y0) < BOX_LINE || Math.abs(y - box.y1) < BOX_LINE));
}

/**
 * The value drawn at full heat: the 98th percentile of the positive values, not the maximum, because a max-pooled
 * feature puts its whole term on one cell and that spike would leave the rest of the map invisible. Read off every
 * SAMPLE-th pixel: the map is smooth (upsampled from a coarse grid), and sorting them all cost a third of an overlay.
 */
function displayTop(map: ArrayLike<number>, length: number): number {
  const positive: number[] = [];
  for (let i = 0; i < length; i += SAMPLE) if (map[i] > 0) positive.push(map[i]);
  if (positive.length === 0) return 0;
  positive.sort((a, b) => a - b);
  return positive[Math.min(positive.length - 1, Math.floor(0.98 * positive.length))];
}

/** A dark-red → yellow → white ramp for 0..1, written into `rgb` (called per pixel: no allocation). */
function heatColour(value: number, rgb: number[]): void {
  const v = Math.min(1, Math.max(0, value));
  rgb[0] = 255 * Math.min(1, 0.4 + 1.2 * v);
  rgb[1] = 255 * Math.min(1, Math.max(0, 2 * v - 0.5));
  rgb[2] = 255 * Math.max(0, 3 * v - 2);
}
