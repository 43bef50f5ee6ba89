/** The part of a face crop that holds the inner face; the ONNX converter and the tfjs extractor pool the same cells. */

/**
 * Where the inner face (brows, eyes, nose, mouth) lies in a face crop framed by the studio's recipe
 * (crop-training-face.ts: a square 1.55 × the 68 landmarks' box, its centre moved up 0.15 box sides), as
 * fractions of the crop: the landmarks' box spans 0.18–0.82 across and 0.27–0.92 down (its top is the brows);
 * the mouth ends near 0.83 and the jaw's sides are left out.
 */
export const INNER_FACE_REGION = { top: 0.27, bottom: 0.83, left: 0.24, right: 0.76 } as const;

/** The cells [y0, y1) × [x0, x1) of a height × width feature map that cover INNER_FACE_REGION (at least one cell). */
export function innerFaceWindow(height: number, width: number): { y0: number; y1: number; x0: number; x1: number } {
  const y0 = Math.floor(INNER_FACE_REGION.top * height);
  const x0 = Math.floor(INNER_FACE_REGION.left * width);
  return { y0, y1: Math.max(y0 + 1, Math.ceil(INNER_FACE_REGION.bottom * height)), x0, x1: Math.max(x0 + 1, Math.ceil(INNER_FACE_REGION.right * width)) };
}
