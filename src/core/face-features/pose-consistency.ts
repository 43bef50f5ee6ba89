/**
 * Does the inner face point the same way as the head around it? A face swap pastes eyes, nose and mouth that were
 * posed for another picture (another moment, another person, or the same face mirrored) inside a jaw line, hair and
 * ears that stay; the head pose read from the inner landmarks then disagrees with the pose read from the face's
 * outline (Yang, Li & Lyu, "Exposing Deep Fakes Using Inconsistent Head Poses", ICASSP 2019). Here, in 2D: how far
 * the inner face's features sit left or right of the eye midline, how far the outline does, and how the two relate:
 * on a real turned head the nose tip moves the way the head turns and the jaw's ends the other way, so their product
 * is negative; an inner face mirrored or posed for another moment breaks that (products and differences below).
 * Landmark arithmetic only, no Node imports: the static Space bundles it with the blending statistics.
 */
import type { FacePoint } from "../face-nets/detect-faces";
import { eyeLineFrame } from "./eye-line-frame";

const INNER = 5;
const OUTER = 5;
/** INNER + OUTER + their INNER·OUTER products + their INNER·OUTER absolute differences. */
export const POSE_CONSISTENCY_COUNT = INNER + OUTER + 2 * INNER * OUTER;

/** The numbers for 68 landmarks (any pixel scale: everything is measured in eye distances along the eye line). */
export function poseConsistency(landmarks: readonly FacePoint[]): number[] {
  const toFace = eyeLineFrame(landmarks);
  // Each landmark in the face's own frame: x along the eye line, y down the face, 1 = the eye distance.
  const at = (i: number) => toFace(landmarks[i]);
  const spread = (from: number, to: number) => {
    const bridge = at(27);
    let sum = 0;
    for (let i = from; i < to; i++) sum += Math.hypot(at(i).x - bridge.x, at(i).y - bridge.y);
    return sum / (to - from);
  };
  // Where the inner face leans: nose tip, mouth corners' middle, nose bridge, nostrils' middle, upper lip.
  const bridgeX = (at(27).x + at(28).x + at(29).x + at(30).x) / 4;
  const inner = [at(30).x, (at(48).x + at(54).x) / 2, bridgeX, at(33).x, at(62).x];
  // Where the outline leans: the jaw ends' middle, the chin, the jaw's width on each side of the nose, two jaw pairs.
  const outer = [(at(0).x + at(16).x) / 2, at(8).x, Math.log(Math.max(spread(0, 4), 1e-6) / Math.max(spread(13, 17), 1e-6)), at(2).x + at(14).x, at(4).x + at(12).x];
  const products: number[] = [];
  const differences: number[] = [];
  for (const a of inner) {
    for (const b of outer) {
      products.push(a * b);
      differences.push(Math.abs(a - b));
    }
  }
  return [...inner, ...outer, ...products, ...differences];
}
