/** Geometry read off 68 landmarks: eye centres, crop centre and size, a yaw proxy and the inner-face outline. */
import type { FacePoint } from "./detect-faces";

export interface FaceFrame {
  /** Centre of the eye on the image's left (landmarks 36-41). */
  leftEye: FacePoint;
  /** Centre of the eye on the image's right (landmarks 42-47). */
  rightEye: FacePoint;
  eyeDistance: number;
  /** Centre of the landmarks' bounding box: the crop centre before any offset. */
  centre: FacePoint;
  /** Longest side of the landmarks' bounding box: the crop side before the margin. */
  size: number;
  /** Nose tip offset along the eye line in eye distances: about 0 facing the camera, signed by the turn. */
  yaw: number;
  /** Nose tip depth below the eye line relative to the mouth's: larger when looking down. */
  pitch: number;
  /** Convex hull of brows, eyes, nose, mouth and inner cheeks (wound so that a point is inside when it is left of every edge): the region a swap replaces. */
  innerHull: FacePoint[];
}

/** Computes the frame of one face from its 68 landmarks. */
export function faceFrame(landmarks: readonly FacePoint[]): FaceFrame {
  const leftEye = mean(landmarks.slice(36, 42));
  const rightEye = mean(landmarks.slice(42, 48));
  const eyeDistance = Math.hypot(rightEye.x - leftEye.x, rightEye.y - leftEye.y);
  const xs = landmarks.map((p) => p.x);
  const ys = landmarks.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const mid = { x: (leftEye.x + rightEye.x) / 2, y: (leftEye.y + rightEye.y) / 2 };
  const nose = landmarks[30];
  const along = { x: (rightEye.x - leftEye.x) / eyeDistance, y: (rightEye.y - leftEye.y) / eyeDistance };
  const yaw = ((nose.x - mid.x) * along.x + (nose.y - mid.y) * along.y) / eyeDistance;
  const mouth = mean(landmarks.slice(48, 60));
  const below = (p: FacePoint): number => -(p.x - mid.x) * along.y + (p.y - mid.y) * along.x;
  const pitch = below(nose) / Math.max(below(mouth), 1e-6);
  return {
    leftEye,
    rightEye,
    eyeDistance,
    centre: { x: (minX + maxX) / 2, y: (minY + maxY) / 2 },
    size: Math.max(maxX - minX, maxY - minY),
    yaw,
    pitch,
    innerHull: convexHull([...landmarks.slice(17), ...cheekPoints(landmarks)]),
  };
}

/** Points halfway from the jaw line to the nose tip, so the swapped region takes in the cheeks and room below the mouth. */
function cheekPoints(landmarks: readonly FacePoint[]): FacePoint[] {
  const nose = landmarks[30];
  return landmarks.slice(3, 14).map((p) => ({ x: (p.x + nose.x) / 2, y: (p.y + nose.y) / 2 }));
}

/** Average of a few points. */
function mean(points: readonly FacePoint[]): FacePoint {
  return { x: points.reduce((s, p) => s + p.x, 0) / points.length, y: points.reduce((s, p) => s + p.y, 0) / points.length };
}

/** Andrew's monotone chain; keeps only turns with positive cross product, so `cross(edge, point - start) > 0` means inside. */
export function convexHull(points: readonly FacePoint[]): FacePoint[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  const cross = (o: FacePoint, a: FacePoint, b: FacePoint): number => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  const half = (list: FacePoint[]): FacePoint[] => {
    const hull: FacePoint[] = [];
    for (const p of list) {
      while (hull.length >= 2 && cross(hull[hull.length - 2], hull[hull.length - 1], p) <= 0) hull.pop();
      hull.push(p);
    }
    hull.pop();
    return hull;
  };
  return [...half(sorted), ...half([...sorted].reverse())];
}
