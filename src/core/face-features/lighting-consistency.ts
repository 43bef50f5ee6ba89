/**
 * Is the inner face lit from the same side as the skin around it? A face pasted from another moment, another camera
 * or a mirror image brings its own shading: colour matching fixes its mean and spread, not the direction its light
 * comes from (Johnson & Farid, "Exposing Digital Forgeries by Detecting Inconsistencies in Lighting", 2005). Here:
 * a plane fitted to log-brightness over the inner face, over the cheeks and jaw between it and the face's outline,
 * and over the ring around it; their slopes across and down the face, and how they agree.
 * Pixel arithmetic only, no Node imports: the static Space bundles it with the blending statistics.
 */
import type { FacePoint } from "../face-nets/detect-faces";
import { convexHull } from "../face-nets/face-frame";
import { eyeLineFrame } from "./eye-line-frame";
import { insideConvex } from "./face-regions";

/** How many numbers lightingConsistency returns. */
export const LIGHTING_CONSISTENCY_COUNT = 12;

/** Fewer pixels than this in a region and its slope is not estimated (reported as flat). */
const MIN_PIXELS = 30;
/** Keeps log-brightness finite and damps the noise of near-black pixels (values are 0..255). */
const DARK_OFFSET = 8;

/** Which region a pixel is in: 0 inner face, 1 band around its edge, 2 outer ring, -1 elsewhere (blend-statistics.ts). */
export type RegionOf = (x: number, y: number) => number;

/**
 * The numbers, in a fixed order: across-face slopes inside, on the cheeks and in the outer ring; inside minus cheeks,
 * their product and its absolute value; inside minus ring and their product; the down-face slopes' difference,
 * product and absolute difference; and the smaller across-face slope, signed by whether inside and cheeks agree.
 * Slopes are in log-brightness per eye distance, so exposure and face size do not change them.
 */
export function lightingConsistency(params: { luma: Float32Array; width: number; height: number; landmarks: readonly FacePoint[]; regionOf: RegionOf }): number[] {
  const { luma, width: w, height: h, landmarks } = params;
  const toFace = eyeLineFrame(landmarks);
  // The cheeks and jaw: inside the outline (jaw line and brows) but beyond the band around the inner face.
  const outline = convexHull([...landmarks.slice(0, 17), ...landmarks.slice(17, 27)]);
  const fits = [new PlaneFit(), new PlaneFit(), new PlaneFit()]; // inner face, cheeks, outer ring
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const region = params.regionOf(x, y);
      const point = { x: x + 0.5, y: y + 0.5 };
      const which = region === 0 ? 0 : region !== 1 && insideConvex(outline, point) ? 1 : region === 2 ? 2 : -1;
      if (which < 0) continue;
      const at = toFace(point);
      const value = Math.log(luma[y * w + x] + DARK_OFFSET);
      fits[which].add(at.x, at.y, value);
      // The cheeks also count in the outer ring where the two overlap, as the Python probe measured them.
      if (which === 1 && region === 2) fits[2].add(at.x, at.y, value);
    }
  }
  const [inner, cheeks, ring] = fits.map((fit) => fit.slopes());
  const [bi, ci] = inner;
  const [bc, cc] = cheeks;
  const [bo] = ring;
  const agreement = Math.sign(bi) * Math.sign(bc) * Math.min(Math.abs(bi), Math.abs(bc));
  return [bi, bc, bo, bi - bc, bi * bc, Math.abs(bi - bc), bi - bo, bi * bo, ci - cc, ci * cc, Math.abs(ci - cc), agreement];
}

/** Least squares of value ≈ a + b·u + c·v, accumulated pixel by pixel. */
class PlaneFit {
  private readonly sums = new Float64Array(9); // n, Σu, Σv, Σuu, Σuv, Σvv, Σz, Σuz, Σvz

  add(u: number, v: number, z: number): void {
    const s = this.sums;
    s[0] += 1;
    s[1] += u;
    s[2] += v;
    s[3] += u * u;
    s[4] += u * v;
    s[5] += v * v;
    s[6] += z;
    s[7] += u * z;
    s[8] += v * z;
  }

  /** [b, c]; [0, 0] for a region too small or too thin to fit. */
  slopes(): [number, number] {
    const [n, su, sv, suu, suv, svv, sz, suz, svz] = this.sums;
    if (n < MIN_PIXELS) return [0, 0];
    // Centred normal equations: the intercept drops out.
    const uu = suu - (su * su) / n;
    const uv = suv - (su * sv) / n;
    const vv = svv - (sv * sv) / n;
    const uz = suz - (su * sz) / n;
    const vz = svz - (sv * sz) / n;
    const det = uu * vv - uv * uv;
    if (Math.abs(det) < 1e-9) return [0, 0];
    return [(uz * vv - vz * uv) / det, (vz * uu - uz * uv) / det];
  }
}
