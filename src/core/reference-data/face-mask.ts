/** Soft masks over a face region (a landmark hull, grown or shrunk, optionally warped, feathered) and blending through them. */
import type { FacePoint } from "../face-nets/detect-faces";
import type { RgbImage } from "./rgb-image";

/** Pixel rectangle of a picture. */
export interface MaskArea {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Mask values 0..1 over `area` (row-major, area.width × area.height); 0 everywhere outside it. */
export interface FaceMask {
  area: MaskArea;
  values: Float32Array;
}

/** Parameters of faceMask. */
export interface FaceMaskParams {
  /** Convex hull wound as FaceFrame.innerHull is (inside = left of every edge). */
  hull: readonly FacePoint[];
  /** Pixels the mask reaches beyond the hull; negative shrinks it. */
  grow: number;
  /** Width of the soft edge in pixels. */
  feather: number;
  /** The picture the mask is for (clips the area). */
  image: { width: number; height: number };
  /** Extra signed distance (pixels) at a point, so the edge wanders instead of following the hull; |warp| ≤ `warpReach`. */
  warp?: (p: FacePoint) => number;
  warpReach?: number;
}

/** Computes the mask: smoothstep over (signed distance to the hull + grow + warp) / feather. */
export function faceMask(params: FaceMaskParams): FaceMask {
  const { hull, grow, image } = params;
  const feather = Math.max(params.feather, 1e-3);
  const area = hullBounds(hull, grow + (params.warpReach ?? 0), image);
  const values = new Float32Array(area.width * area.height);
  const point = { x: 0, y: 0 };
  for (let y = 0; y < area.height; y++) {
    for (let x = 0; x < area.width; x++) {
      point.x = area.x + x + 0.5;
      point.y = area.y + y + 0.5;
      const distance = insideDistance(hull, point) + grow + (params.warp ? params.warp(point) : 0);
      values[y * area.width + x] = smoothstep(distance / feather);
    }
  }
  return { area, values };
}

/** target = m·opacity·source + (1 - m·opacity)·target over the mask's area; `source` holds area-sized RGB (clamped to 0..255 here). */
export function blendThroughMask(params: { target: RgbImage & { data: Float32Array }; mask: FaceMask; source: Float32Array; opacity?: number }): void {
  const { target, mask, source } = params;
  const opacity = params.opacity ?? 1;
  forEachMasked(mask, target.width, 0, (i, t) => {
    const m = mask.values[i] * opacity;
    for (let c = 0; c < 3; c++) {
      const value = Math.min(Math.max(source[i * 3 + c], 0), 255);
      target.data[t + c] = m * value + (1 - m) * target.data[t + c];
    }
  });
}

/** Calls `visit(areaIndex, targetOffset)` for each area pixel whose mask exceeds `threshold`; targetWidth is the picture's width. */
export function forEachMasked(mask: FaceMask, targetWidth: number, threshold: number, visit: (i: number, t: number) => void): void {
  const { area, values } = mask;
  for (let y = 0; y < area.height; y++) {
    for (let x = 0; x < area.width; x++) {
      const i = y * area.width + x;
      if (values[i] > threshold) visit(i, ((area.y + y) * targetWidth + area.x + x) * 3);
    }
  }
}

/** Pixel rectangle around the hull, grown by `grow` (+1 px), clipped to the picture. */
function hullBounds(hull: readonly FacePoint[], grow: number, image: { width: number; height: number }): MaskArea {
  const reach = Math.max(grow, 0) + 1;
  const x0 = Math.max(0, Math.floor(Math.min(...hull.map((p) => p.x)) - reach));
  const y0 = Math.max(0, Math.floor(Math.min(...hull.map((p) => p.y)) - reach));
  const x1 = Math.min(image.width, Math.ceil(Math.max(...hull.map((p) => p.x)) + reach));
  const y1 = Math.min(image.height, Math.ceil(Math.max(...hull.map((p) => p.y)) + reach));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** Signed distance to the boundary of a convex hull: positive inside, negative outside (edges treated as lines). */
function insideDistance(hull: readonly FacePoint[], p: FacePoint): number {
  let nearest = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i];
    const b = hull[(i + 1) % hull.length];
    const ex = b.x - a.x;
    const ey = b.y - a.y;
    const distance = (ex * (p.y - a.y) - ey * (p.x - a.x)) / Math.hypot(ex, ey);
    if (distance < nearest) nearest = distance;
  }
  return nearest;
}

/** 0 below 0, 1 above 1, smooth in between. */
function smoothstep(t: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return t * t * (3 - 2 * t);
}
