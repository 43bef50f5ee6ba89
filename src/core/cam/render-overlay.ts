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
  /** Output is this many times the input's side (a 224 px input is small on screen). */
  zoom?: number;
}

/** PNG bytes: the picture dimmed a little, the positive map in warm colours over it, the face box in cyan. */
export async function renderCamOverlay(params: RenderCamOverlayParams): Promise<Buffer> {
  const { picture, map, height, width } = params;
  const zoom = params.zoom ?? 2;
  const top = displayTop(map, height * width);
  const rgb = Buffer.alloc(height * width * 3);
  for (let i = 0; i < height * width; i++) {
    const heat = top > 0 ? Math.min(1, Math.max(0, map[i]) / top) : 0;
    const [r, g, b] = heatColour(heat);
    // sqrt: the weaker places stay visible beside the strongest.
    const alpha = 0.75 * Math.sqrt(heat);
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round((1 - alpha) * 0.85 * picture[i * 3 + c] + alpha * [r, g, b][c]);
  }
  const [W, H] = [width * zoom, height * zoom];
  const layers = params.face ? [{ input: Buffer.from(boxSvg(params.face, W, H)), left: 0, top: 0 }] : [];
  return sharp(rgb, { raw: { width, height, channels: 3 } }).resize(W, H, { kernel: "nearest" }).composite(layers).png().toBuffer();
}

/**
 * The value drawn at full heat: the 98th percentile of the positive values, not the maximum, because a max-pooled
 * feature puts its whole term on one cell and that spike would leave the rest of the map invisible.
 */
function displayTop(map: ArrayLike<number>, length: number): number {
  const positive: number[] = [];
  for (let i = 0; i < length; i++) if (map[i] > 0) positive.push(map[i]);
  if (positive.length === 0) return 0;
  positive.sort((a, b) => a - b);
  return positive[Math.min(positive.length - 1, Math.floor(0.98 * positive.length))];
}

/** A dark-red → yellow → white ramp for 0..1. */
function heatColour(value: number): [number, number, number] {
  const v = Math.min(1, Math.max(0, value));
  return [Math.round(255 * Math.min(1, 0.4 + 1.2 * v)), Math.round(255 * Math.min(1, Math.max(0, 2 * v - 0.5))), Math.round(255 * Math.max(0, 3 * v - 2))];
}

/** The face box outline as an SVG the size of the output. */
function boxSvg(box: UnitBox, width: number, height: number): string {
  const rect = `x="${box.x * width}" y="${box.y * height}" width="${box.width * width}" height="${box.height * height}"`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect ${rect} fill="none" stroke="#00e5ff" stroke-width="2"/></svg>`;
}
