/**
 * A self-blended image (after Shiohara & Yamasaki, "Detecting Deepfakes with Self-Blended Images", CVPR 2022): the face
 * is blended with a transformed copy of itself through a randomly shaped mask. Identity stays; the traces a face swap
 * leaves (colour and sharpness mismatch, resampling, re-compression, a blending boundary, a slight misalignment) are there.
 */
import sharp from "sharp";
import type { FacePoint } from "../face-nets/detect-faces";
import { blendThroughMask, faceMask, type FaceMask } from "../reference-data/face-mask";
import { convexHull, faceFrame } from "../face-nets/face-frame";
import { sampleBilinear, type RgbImage } from "../reference-data/rgb-image";
import type { SeededRandom } from "../shared/seeded-random";

/** Every random choice of one self-blend; provenance records it, and the same recipe on the same picture gives the same pixels. */
export interface SelfBlendRecipe {
  /** The source copy's colour: per-channel gain and shift (RGB), contrast about its mean, hue turn (degrees), saturation. */
  colour: { gain: [number, number, number]; shift: [number, number, number]; contrast: number; hue: number; saturation: number };
  /** Below 0: Gaussian blur of sigma -sharpness·1.5 px; above 0: unsharp mask of that amount. */
  sharpness: number;
  /** The copy is shrunk by this factor and enlarged back (1: not resampled). */
  resample: number;
  /** The copy is re-compressed as JPEG at this quality (null: not). */
  jpegQuality: number | null;
  /** Misalignment of the copy: shift in eye distances, scale, rotation in degrees (about the face centre). */
  geometry: { dx: number; dy: number; scale: number; rotation: number };
  /** The mask: which landmark hull, grown (negative: shrunk) and feathered in eye distances, its edge warped, and its opacity. */
  mask: { hull: "inner" | "whole"; grow: number; feather: number; warp: { amplitude: number; phases: [number, number, number] }; opacity: number };
}

/** Result of selfBlend: the whole picture with the face blended, and the mask used (picture coordinates). */
export interface SelfBlended {
  /** width × height × 3 RGB bytes. */
  pixels: Uint8Array;
  mask: FaceMask;
}

/** Parameters of selfBlend. */
export interface SelfBlendParams {
  /** The picture, RGB bytes. */
  image: RgbImage & { data: Uint8Array };
  /** The face's 68 landmarks in picture coordinates. */
  landmarks: readonly FacePoint[];
  recipe: SelfBlendRecipe;
}

/** Frequencies (per turn around the face) of the mask edge's wobble. */
const WARP_FREQUENCIES = [2, 3, 5] as const;

/** Draws a recipe; ranges follow the paper's (mild enough that the result still looks like a photo of the person). */
export function drawSelfBlendRecipe(random: SeededRandom): SelfBlendRecipe {
  const r = (min: number, max: number, places = 3): number => round(random.uniform(min, max), places);
  const triple = (min: number, max: number, places = 3): [number, number, number] => [r(min, max, places), r(min, max, places), r(min, max, places)];
  return {
    colour: { gain: triple(0.9, 1.1), shift: triple(-12, 12, 1), contrast: r(0.85, 1.15), hue: r(-8, 8, 1), saturation: r(0.85, 1.15) },
    sharpness: r(-1, 1),
    resample: random.chance(0.5) ? r(0.4, 0.9) : 1,
    jpegQuality: random.chance(0.5) ? 40 + random.int(51) : null,
    geometry: { dx: r(-0.04, 0.04), dy: r(-0.04, 0.04), scale: r(0.96, 1.04), rotation: r(-3, 3, 2) },
    mask: {
      hull: random.chance(0.5) ? "inner" : "whole",
      grow: r(-0.15, 0.2),
      feather: r(0.05, 0.45),
      warp: { amplitude: r(0, 0.12), phases: triple(0, 2 * Math.PI) },
      opacity: r(0.6, 1),
    },
  };
}

/** Blends the face with its transformed copy; the picture outside the mask is left exactly as it was. */
export async function selfBlend(params: SelfBlendParams): Promise<SelfBlended> {
  const { image, recipe } = params;
  const frame = faceFrame(params.landmarks);
  const eye = frame.eyeDistance;
  const hull = recipe.mask.hull === "inner" ? frame.innerHull : convexHull(params.landmarks);
  const centre = { x: hull.reduce((s, p) => s + p.x, 0) / hull.length, y: hull.reduce((s, p) => s + p.y, 0) / hull.length };
  const { amplitude, phases } = recipe.mask.warp;
  const warp = (p: FacePoint): number => {
    const angle = Math.atan2(p.y - centre.y, p.x - centre.x);
    return (amplitude * eye * WARP_FREQUENCIES.reduce((s, f, k) => s + Math.sin(f * angle + phases[k]), 0)) / WARP_FREQUENCIES.length;
  };
  const mask = faceMask({ hull, grow: recipe.mask.grow * eye, feather: recipe.mask.feather * eye, image, warp, warpReach: amplitude * eye });
  // The copy is transformed over the mask's area plus room for the misalignment and the blur kernel.
  const margin = Math.ceil(0.1 * eye + 8);
  const region = cutRegion(image, { x: mask.area.x - margin, y: mask.area.y - margin, width: mask.area.width + 2 * margin, height: mask.area.height + 2 * margin });
  adjustColour(region, recipe.colour);
  adjustSharpness(region, recipe.sharpness);
  const resampled = resample(region, recipe.resample);
  const copy = recipe.jpegQuality === null ? resampled : await recompress(resampled, recipe.jpegQuality);
  const source = misalign(copy, mask, centre, eye, recipe.geometry);
  // Only the mask's area changes: blend there, then write it back into a copy of the picture.
  const { area } = mask;
  const target = cutRegion(image, area);
  blendThroughMask({ target, mask: { area: { ...area, x: 0, y: 0 }, values: mask.values }, source, opacity: recipe.mask.opacity });
  const pixels = Uint8Array.from(image.data);
  for (let y = 0; y < area.height; y++) {
    for (let x = 0; x < area.width * 3; x++) pixels[((area.y + y) * image.width + area.x) * 3 + x] = Math.round(target.data[y * area.width * 3 + x]);
  }
  return { pixels, mask };
}

/** A float copy of part of the picture (clipped), remembering where it came from. */
interface Region extends RgbImage {
  data: Float32Array;
  x: number;
  y: number;
}

function cutRegion(image: RgbImage, want: { x: number; y: number; width: number; height: number }): Region {
  const x0 = Math.max(0, want.x);
  const y0 = Math.max(0, want.y);
  const x1 = Math.min(image.width, want.x + want.width);
  const y1 = Math.min(image.height, want.y + want.height);
  const width = Math.max(1, x1 - x0);
  const height = Math.max(1, y1 - y0);
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width * 3; x++) data[y * width * 3 + x] = image.data[((y0 + y) * image.width + x0) * 3 + x];
  }
  return { data, width, height, x: x0, y: y0 };
}

/** Per-channel gain and shift, contrast about the mean, then a hue turn and saturation change in the CbCr plane. */
function adjustColour(region: Region, colour: SelfBlendRecipe["colour"]): void {
  const { data } = region;
  const n = data.length / 3;
  const mean = [0, 0, 0];
  for (let i = 0; i < data.length; i++) mean[i % 3] += data[i] / n;
  const angle = (colour.hue * Math.PI) / 180;
  const [cos, sin] = [Math.cos(angle) * colour.saturation, Math.sin(angle) * colour.saturation];
  for (let i = 0; i < data.length; i += 3) {
    const rgb = [0, 1, 2].map((c) => ((data[i + c] - mean[c]) * colour.contrast + mean[c]) * colour.gain[c] + colour.shift[c]);
    const y = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
    const cb = -0.168736 * rgb[0] - 0.331264 * rgb[1] + 0.5 * rgb[2];
    const cr = 0.5 * rgb[0] - 0.418688 * rgb[1] - 0.081312 * rgb[2];
    const cb2 = cb * cos - cr * sin;
    const cr2 = cb * sin + cr * cos;
    data[i] = clamp(y + 1.402 * cr2);
    data[i + 1] = clamp(y - 0.344136 * cb2 - 0.714136 * cr2);
    data[i + 2] = clamp(y + 1.772 * cb2);
  }
}

/** Softens (negative) with a Gaussian or sharpens (positive) with an unsharp mask built on the same Gaussian. */
function adjustSharpness(region: Region, sharpness: number): void {
  if (sharpness === 0) return;
  const sigma = sharpness < 0 ? -sharpness * 1.5 : 1;
  const blurred = gaussianBlur(region, Math.max(sigma, 0.3));
  if (sharpness < 0) {
    region.data.set(blurred);
    return;
  }
  for (let i = 0; i < region.data.length; i++) region.data[i] = clamp(region.data[i] + sharpness * (region.data[i] - blurred[i]));
}

/** Separable Gaussian with clamped edges. */
function gaussianBlur(region: Region, sigma: number): Float32Array {
  const radius = Math.ceil(sigma * 2.5);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((s, v) => s + v, 0);
  const weights = kernel.map((v) => v / total);
  const { width, height } = region;
  const pass = (input: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(input.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let k = -radius; k <= radius; k++) {
            const sx = horizontal ? Math.min(width - 1, Math.max(0, x + k)) : x;
            const sy = horizontal ? y : Math.min(height - 1, Math.max(0, y + k));
            sum += input[(sy * width + sx) * 3 + c] * weights[k + radius];
          }
          out[(y * width + x) * 3 + c] = sum;
        }
      }
    }
    return out;
  };
  return pass(pass(region.data, true), false);
}

/** Shrinks by `factor` and enlarges back, both bilinear: the detail lost and the interpolation pattern are what a swap's resizing leaves. */
function resample(region: Region, factor: number): Region {
  if (factor >= 1) return region;
  const small = { data: new Float32Array(Math.max(1, Math.round(region.width * factor)) * Math.max(1, Math.round(region.height * factor)) * 3), width: Math.max(1, Math.round(region.width * factor)), height: Math.max(1, Math.round(region.height * factor)) };
  const scale = (from: RgbImage, to: RgbImage & { data: Float32Array }): void => {
    for (let y = 0; y < to.height; y++) {
      for (let x = 0; x < to.width; x++) sampleBilinear(from, ((x + 0.5) * from.width) / to.width, ((y + 0.5) * from.height) / to.height, to.data, (y * to.width + x) * 3);
    }
  };
  scale(region, small);
  const back = { ...region, data: new Float32Array(region.data.length) };
  scale(small, back);
  return back;
}

/** JPEG round trip of the copy (4:2:0, as cameras and sites save faces). */
async function recompress(region: Region, quality: number): Promise<Region> {
  const bytes = Uint8Array.from(region.data, (v) => Math.round(clamp(v)));
  const jpeg = await sharp(bytes, { raw: { width: region.width, height: region.height, channels: 3 } }).jpeg({ quality, chromaSubsampling: "4:2:0" }).toBuffer();
  const decoded = await sharp(jpeg).raw().toBuffer();
  return { ...region, data: Float32Array.from(decoded) };
}

/** The copy's pixels seen through a small similarity transform about the face centre, sampled over the mask's area. */
function misalign(copy: Region, mask: FaceMask, centre: FacePoint, eye: number, geometry: SelfBlendRecipe["geometry"]): Float32Array {
  const { area, values } = mask;
  const out = new Float32Array(values.length * 3);
  const angle = (geometry.rotation * Math.PI) / 180;
  const [cos, sin] = [Math.cos(angle) / geometry.scale, Math.sin(angle) / geometry.scale];
  for (let y = 0; y < area.height; y++) {
    for (let x = 0; x < area.width; x++) {
      const i = y * area.width + x;
      if (values[i] === 0) continue;
      const dx = area.x + x + 0.5 - centre.x;
      const dy = area.y + y + 0.5 - centre.y;
      const sx = centre.x + dx * cos - dy * sin + geometry.dx * eye;
      const sy = centre.y + dx * sin + dy * cos + geometry.dy * eye;
      sampleBilinear(copy, sx - copy.x, sy - copy.y, out, i * 3);
    }
  }
  return out;
}

function clamp(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

function round(value: number, places: number): number {
  return Math.round(value * 10 ** places) / 10 ** places;
}
