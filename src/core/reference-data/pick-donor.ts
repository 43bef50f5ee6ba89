/** Chooses whose face to paste onto a target: one whose head turns the same way (mirrored when that matches better). */
import type { FacePoint } from "../face-nets/detect-faces";
import { faceFrame } from "../face-nets/face-frame";
import type { SeededRandom } from "../shared/seeded-random";

/** Donors are drawn from this many best head-pose matches, which keeps swaps plausible yet varied. */
export const DONOR_CHOICES = 4;

/** Index into `candidates` of the chosen donor, and whether to mirror it; picks at random among the closest few. */
export function pickDonor(target: readonly FacePoint[], candidates: ReadonlyArray<readonly FacePoint[]>, random: SeededRandom): { index: number; mirror: boolean } {
  const goal = faceFrame(target);
  const options = candidates
    .map((landmarks, index) => {
      const { yaw, pitch } = faceFrame(landmarks);
      const mirror = Math.abs(goal.yaw + yaw) < Math.abs(goal.yaw - yaw);
      return { index, mirror, cost: Math.abs(goal.yaw - (mirror ? -yaw : yaw)) + Math.abs(goal.pitch - pitch) };
    })
    // Ties broken by position in the list so the order never depends on the sort implementation.
    .sort((a, b) => a.cost - b.cost || a.index - b.index);
  const chosen = options[random.int(Math.min(DONOR_CHOICES, options.length))];
  return { index: chosen.index, mirror: chosen.mirror };
}
