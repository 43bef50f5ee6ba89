/**
 * Where the inner face and the skin around it lie on a backbone's feature grid, from the face's 68 landmarks: the hull
 * of brows, eyes, nose and mouth (grown a little), and the ring beyond it. The graph pools early activations inside
 * each and keeps their difference ("face contrast"): a swap or blend pastes the inner face with its own texture, so
 * its activations part from the ring's in a way a real face's do not. Measured (BENCHMARKS.md): on held-out
 * same-person swaps, these contrasts beside the blending statistics lift a linear probe from 0.78 to 0.87, where
 * pooling over a fixed window of the crop adds nothing.
 * Plain arithmetic, without Node imports: the static Space bundles this file and computes the same masks.
 */
import type { FacePoint } from "../face-nets/detect-faces";
import { convexHull } from "../face-nets/face-frame";
import { INNER_FACE_REGION } from "../shared/inner-face-window";

/** Bump when the masks change, so cached contrasts are recomputed. */
export const FACE_REGIONS_VERSION = 1;
/** The two masks, in this order along the regions input's second axis. */
export const FACE_REGION_COUNT = 2;
/** Growth of the landmark hull about its mean point: the inner face, and the ring's outer edge. */
const HULL_GROWTH = 0.1;
const RING_GROWTH = 0.5;
/** The masks' grid is the input's size over this stride: the finest tap (stride 4) reads it as it is, coarser ones average it. */
export const FACE_REGION_STRIDE = 4;

/** The masks' side for a model input of `inputSize` pixels. */
export function faceRegionGrid(inputSize: number): number {
  return Math.round(inputSize / FACE_REGION_STRIDE);
}

/** Parameters of faceRegions. */
export interface FaceRegionsParams {
  /** The face's 68 landmarks in the model input's pixels; undefined: no face found, the crop recipe's window stands in. */
  landmarks: readonly FacePoint[] | undefined;
  /** The model input's size in pixels. */
  width: number;
  height: number;
  /** Cells per side of the masks (faceRegionGrid). */
  grid: number;
}

/** Two grid×grid masks, 1 inside and 0 outside: [0] the inner face, [1] the ring around it; tested at cell centres. */
export function faceRegions(params: FaceRegionsParams): Float32Array {
  const { grid, width, height } = params;
  const [inner, ring] = regionPolygons(params.landmarks, width, height);
  const out = new Float32Array(FACE_REGION_COUNT * grid * grid);
  for (let y = 0; y < grid; y++) {
    for (let x = 0; x < grid; x++) {
      const point = { x: ((x + 0.5) * width) / grid, y: ((y + 0.5) * height) / grid };
      if (insideConvex(inner, point)) out[y * grid + x] = 1;
      else if (insideConvex(ring, point)) out[grid * grid + y * grid + x] = 1;
    }
  }
  return out;
}

/** The masks of a model input (height·width, squish-resized from a `from`-sized picture), landmarks in `from`'s pixels. */
export function faceRegionsOfInput(params: { size: readonly [number, number]; landmarks: readonly FacePoint[] | undefined; from: { width: number; height: number } }): Float32Array {
  const [height, width] = params.size;
  const sx = width / params.from.width;
  const sy = height / params.from.height;
  const landmarks = params.landmarks?.map((p) => ({ x: p.x * sx, y: p.y * sy }));
  return faceRegions({ landmarks, width, height, grid: faceRegionGrid(width) });
}

/** The grown hulls, or (no face) the crop recipe's inner-face window and its grown copy. */
function regionPolygons(landmarks: readonly FacePoint[] | undefined, width: number, height: number): [FacePoint[], FacePoint[]] {
  let outline: FacePoint[];
  if (landmarks && landmarks.length >= 68) {
    outline = convexHull(landmarks.slice(17, 68));
  } else {
    const { top, bottom, left, right } = INNER_FACE_REGION;
    // convexHull's winding, so insideConvex reads it the same way.
    outline = convexHull([{ x: left * width, y: top * height }, { x: right * width, y: top * height }, { x: right * width, y: bottom * height }, { x: left * width, y: bottom * height }]);
  }
  const centre = { x: outline.reduce((s, p) => s + p.x, 0) / outline.length, y: outline.reduce((s, p) => s + p.y, 0) / outline.length };
  const grown = (growth: number) => outline.map((p) => ({ x: centre.x + (p.x - centre.x) * (1 + growth), y: centre.y + (p.y - centre.y) * (1 + growth) }));
  return [grown(HULL_GROWTH), grown(RING_GROWTH)];
}

/** convexHull's winding: inside when every edge turns left of the point (on an edge counts as inside). */
export function insideConvex(polygon: readonly FacePoint[], p: FacePoint): boolean {
  if (polygon.length < 3) return false;
  for (let i = 0; i < polygon.length; i++) {
    const a = polygon[i];
    const b = polygon[(i + 1) % polygon.length];
    if ((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x) < 0) return false;
  }
  return true;
}
