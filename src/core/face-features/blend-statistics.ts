/**
 * Blending statistics of a face picture: how sharpness, edges and colour inside the inner face (the landmark hull of
 * brows, eyes, nose and mouth) compare with a band around its edge and the skin beyond. A face swap or self-blend
 * pastes a region with its own resampling, blur and colour through a feathered mask there; a real face has no such
 * border. Measured on held-out same-person swaps (BENCHMARKS.md), these 22 numbers beside the backbone's features
 * lift a linear head from about 0.6 to about 0.85 balanced accuracy, where the backbone's own features see little;
 * version 2 adds the head-pose consistency of the landmarks (pose-consistency.ts), version 3 the lighting consistency
 * of the inner face with the skin around it (lighting-consistency.ts).
 * Plain arithmetic on pixels, without Node imports: the static Space bundles this file and computes the same numbers.
 */
import type { FacePoint } from "../face-nets/detect-faces";
import { convexHull } from "../face-nets/face-frame";
import { insideConvex } from "./face-regions";
import { LIGHTING_CONSISTENCY_COUNT, lightingConsistency, type RegionOf } from "./lighting-consistency";
import { POSE_CONSISTENCY_COUNT, poseConsistency } from "./pose-consistency";

/** What a model trained with these statistics records (preprocess.json), so every runner computes the same ones. */
export const BLEND_STATISTICS_VERSION = 3;
/**
 * Numbers per version. Each version appends to the one before, so a model trained on an older version is still
 * served (its runners stop at its count): 1, 22 pixel statistics; 2, + the head-pose consistency of the landmarks
 * (pose-consistency.ts); 3, + the lighting consistency of the inner face and the skin around it (lighting-consistency.ts).
 */
export const BLEND_STATISTICS_COUNTS: Readonly<Record<number, number>> = {
  1: 22,
  2: 22 + POSE_CONSISTENCY_COUNT,
  3: 22 + POSE_CONSISTENCY_COUNT + LIGHTING_CONSISTENCY_COUNT,
};
export const BLEND_STATISTICS_COUNT = BLEND_STATISTICS_COUNTS[BLEND_STATISTICS_VERSION];

/** Hull growth (fraction of the hull's radius) of the three regions: inner face, band edge, outer edge. */
const INNER_GROWTH = -0.1;
const BAND_GROWTH = 0.15;
const OUTER_GROWTH = 0.45;
/** Keeps the ratios of flat regions finite (values are 0..255 pixel differences). */
const EPSILON = 1e-3;

/** Parameters of blendStatistics. */
export interface BlendStatisticsParams {
  /** RGB values 0..255, row-major, 3 per pixel (the model's input picture). */
  pixels: ArrayLike<number>;
  width: number;
  height: number;
  /** The face's 68 landmarks in the same picture's pixel coordinates. */
  landmarks: readonly FacePoint[];
  /** Which version's numbers (default BLEND_STATISTICS_VERSION): a model's preprocess.json says which it was trained on. */
  version?: number;
}

/** The statistics, BLEND_STATISTICS_COUNT numbers in a fixed order. */
export function blendStatistics(params: BlendStatisticsParams): Float32Array {
  const { pixels, width: w, height: h } = params;
  const n = w * h;
  const luma = new Float32Array(n);
  const blue = new Float32Array(n);
  const red = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [pixels[i * 3], pixels[i * 3 + 1], pixels[i * 3 + 2]];
    luma[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    blue[i] = -0.1687 * r - 0.3313 * g + 0.5 * b;
    red[i] = 0.5 * r - 0.4187 * g - 0.0813 * b;
  }
  const regions = faceRegions(params.landmarks, w, h);
  const out: number[] = [];
  const fine = laplacian(luma, w, h);
  const halfW = Math.floor(w / 2);
  const halfH = Math.floor(h / 2);
  const coarse = laplacian(halve(luma, w, h), halfW, halfH);
  const energies = [
    { map: fine, width: w, at: (x: number, y: number) => regions(x, y), valid: (x: number, y: number) => x > 0 && y > 0 && x < w - 1 && y < h - 1 },
    // The half-size map's pixel (x, y) covers the full picture's (2x, 2y).
    { map: coarse, width: halfW, at: (x: number, y: number) => regions(2 * x, 2 * y), valid: (x: number, y: number) => x > 0 && y > 0 && x < halfW - 1 && y < halfH - 1 },
    { map: difference(luma, w, h, 1, 0), width: w, at: regions, valid: (x: number, y: number) => x < w - 1 && y < h - 1 },
    { map: difference(luma, w, h, 0, 1), width: w, at: regions, valid: (x: number, y: number) => x < w - 1 && y < h - 1 },
  ];
  const means: Array<[number, number, number]> = [];
  for (const energy of energies) {
    const height = energy.map.length / energy.width;
    const [inner, band, outer] = regionMeans(energy.map, energy.width, height, energy.at, energy.valid).map((mean) => mean + EPSILON);
    means.push([inner, band, outer]);
    out.push(Math.log(inner / outer), Math.log(band / inner), Math.log(band / outer));
  }
  for (const channel of [luma, blue, red]) {
    const inside = regionSpread(channel, w, h, regions);
    out.push(inside.mean[0] - inside.mean[2], Math.log((inside.std[0] + 1) / (inside.std[2] + 1)), inside.std[1] - inside.std[0]);
  }
  // Resampling leaves the fine scale weaker than the coarse one inside the pasted region only.
  out.push(Math.log(means[0][0] / means[1][0]) - Math.log(means[0][2] / means[1][2]));
  const version = params.version ?? BLEND_STATISTICS_VERSION;
  if (version >= 2) out.push(...poseConsistency(params.landmarks));
  if (version >= 3) out.push(...lightingConsistency({ luma, width: w, height: h, landmarks: params.landmarks, regionOf: regions }));
  return Float32Array.from(out);
}

/** The statistics of a model input (height·width·3, squish-resized from a `from`-sized picture), landmarks given in `from`'s pixels. */
export function blendStatisticsOfInput(params: { input: ArrayLike<number>; size: readonly [number, number]; landmarks: readonly FacePoint[]; from: { width: number; height: number }; version?: number }): Float32Array {
  const [height, width] = params.size;
  const sx = width / params.from.width;
  const sy = height / params.from.height;
  return blendStatistics({ pixels: params.input, width, height, landmarks: params.landmarks.map((p) => ({ x: p.x * sx, y: p.y * sy })), version: params.version });
}


/** The three regions from the hull of landmarks 17-67, grown about the landmarks' mean point; tested at pixel centres. */
function faceRegions(landmarks: readonly FacePoint[], w: number, h: number): RegionOf {
  const inner = landmarks.slice(17, 68);
  const centre = { x: inner.reduce((s, p) => s + p.x, 0) / inner.length, y: inner.reduce((s, p) => s + p.y, 0) / inner.length };
  const hull = convexHull(inner);
  const grown = (growth: number) => hull.map((p) => ({ x: centre.x + (p.x - centre.x) * (1 + growth), y: centre.y + (p.y - centre.y) * (1 + growth) }));
  const polygons = [grown(INNER_GROWTH), grown(BAND_GROWTH), grown(OUTER_GROWTH)];
  const map = new Int8Array(w * h).fill(-1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const point = { x: x + 0.5, y: y + 0.5 };
      const k = polygons.findIndex((polygon) => insideConvex(polygon, point));
      map[y * w + x] = k;
    }
  }
  return (x, y) => map[y * w + x];
}

/** |4·centre − the 4 neighbours| on interior pixels (0 on the border, which regionMeans skips). */
function laplacian(values: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      out[i] = Math.abs(4 * values[i] - values[i - 1] - values[i + 1] - values[i - w] - values[i + w]);
    }
  }
  return out;
}

/** 2×2 block averages (odd last row/column dropped). */
function halve(values: Float32Array, w: number, h: number): Float32Array {
  const [hw, hh] = [Math.floor(w / 2), Math.floor(h / 2)];
  const out = new Float32Array(hw * hh);
  for (let y = 0; y < hh; y++) {
    for (let x = 0; x < hw; x++) {
      const i = 2 * y * w + 2 * x;
      out[y * hw + x] = (values[i] + values[i + 1] + values[i + w] + values[i + w + 1]) / 4;
    }
  }
  return out;
}

/** |value(x + dx, y + dy) − value(x, y)|, 0 where the neighbour is outside. */
function difference(values: Float32Array, w: number, h: number, dx: number, dy: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h - dy; y++) {
    for (let x = 0; x < w - dx; x++) out[y * w + x] = Math.abs(values[(y + dy) * w + x + dx] - values[y * w + x]);
  }
  return out;
}

/** Mean of `map` over each region's valid pixels (0 for an empty region). */
function regionMeans(map: Float32Array, w: number, h: number, regionAt: RegionOf, valid: (x: number, y: number) => boolean): [number, number, number] {
  const sums = [0, 0, 0];
  const counts = [0, 0, 0];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!valid(x, y)) continue;
      const k = regionAt(x, y);
      if (k < 0) continue;
      sums[k] += map[y * w + x];
      counts[k] += 1;
    }
  }
  return [0, 1, 2].map((k) => (counts[k] > 0 ? sums[k] / counts[k] : 0)) as [number, number, number];
}

/** Mean and population standard deviation of a channel in each region. */
function regionSpread(channel: Float32Array, w: number, h: number, regionAt: RegionOf): { mean: number[]; std: number[] } {
  const valid = () => true;
  const mean = regionMeans(channel, w, h, regionAt, valid);
  const squares = new Float32Array(channel.length);
  for (let i = 0; i < channel.length; i++) {
    const k = regionAt(i % w, Math.floor(i / w));
    squares[i] = k < 0 ? 0 : (channel[i] - mean[k]) ** 2;
  }
  return { mean, std: regionMeans(squares, w, h, regionAt, valid).map(Math.sqrt) };
}
