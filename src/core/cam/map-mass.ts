/**
 * How much of a class activation map lies inside the face. The map's mass is its positive part: the places that
 * pushed the score towards the class (negative places argued against it and are not "where it looked").
 */
import type { FacePoint } from "../face-nets/detect-faces";
import type { UnitBox } from "./unit-box";

export type { UnitBox } from "./unit-box";

/** Below this share of the map inside the face, the model is said to look mostly elsewhere. */
export const MOSTLY_ELSEWHERE_SHARE = 0.5;

/** The words shown when the model looks mostly outside the faces. */
export const LOOKS_ELSEWHERE_WARNING = "The model looks mostly at the background/borders of the pictures: it may be reading captions, watermarks or framing rather than faces.";

/** Share (0..1) of the map's positive mass inside `box`; undefined when the map has no positive mass. */
export function massShareInside(map: ArrayLike<number>, height: number, width: number, box: UnitBox): number | undefined {
  const [x0, x1] = [Math.max(0, Math.round(box.x * width)), Math.min(width, Math.round((box.x + box.width) * width))];
  const [y0, y1] = [Math.max(0, Math.round(box.y * height)), Math.min(height, Math.round((box.y + box.height) * height))];
  let inside = 0;
  let total = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const inRows = y >= y0 && y < y1;
    for (let x = 0; x < width; x++) {
      const value = map[row + x];
      if (!(value > 0)) continue;
      total += value;
      if (inRows && x >= x0 && x < x1) inside += value;
    }
  }
  return total > 0 ? inside / total : undefined;
}

/** The landmarks' bounding box as fractions of a `width` x `height` picture. */
export function landmarksBox(landmarks: readonly FacePoint[], width: number, height: number): UnitBox | undefined {
  if (landmarks.length === 0) return undefined;
  const xs = landmarks.map((point) => point.x);
  const ys = landmarks.map((point) => point.y);
  const [left, top] = [Math.min(...xs), Math.min(...ys)];
  return { x: left / width, y: top / height, width: (Math.max(...xs) - left) / width, height: (Math.max(...ys) - top) / height };
}

/**
 * Where the face lies in a crop framed by the studio's recipe (a square 1.55 × the 68 landmarks' box, moved up 0.15
 * box sides; shared/inner-face-window.ts): the landmarks' box spans 0.18–0.82 across and 0.27–0.92 down.
 */
export const STUDIO_CROP_FACE_BOX: UnitBox = { x: 0.18, y: 0.27, width: 0.64, height: 0.65 };
