/** The face's own frame from 68 landmarks: origin between the eyes, x along the eye line, y down the face, 1 = the eye distance. */
import type { FacePoint } from "../face-nets/detect-faces";

/** Maps picture coordinates into the face's frame. Plain arithmetic: the static Space bundles it. */
export function eyeLineFrame(landmarks: readonly FacePoint[]): (point: FacePoint) => FacePoint {
  const mean = (from: number, to: number) => {
    let x = 0;
    let y = 0;
    for (let i = from; i < to; i++) {
      x += landmarks[i].x;
      y += landmarks[i].y;
    }
    return { x: x / (to - from), y: y / (to - from) };
  };
  const leftEye = mean(36, 42);
  const rightEye = mean(42, 48);
  const mid = { x: (leftEye.x + rightEye.x) / 2, y: (leftEye.y + rightEye.y) / 2 };
  const eyeDistance = Math.max(Math.hypot(rightEye.x - leftEye.x, rightEye.y - leftEye.y), 1e-6);
  const cos = (rightEye.x - leftEye.x) / eyeDistance;
  const sin = (rightEye.y - leftEye.y) / eyeDistance;
  return (point) => {
    const dx = point.x - mid.x;
    const dy = point.y - mid.y;
    return { x: (dx * cos + dy * sin) / eyeDistance, y: (-dx * sin + dy * cos) / eyeDistance };
  };
}
