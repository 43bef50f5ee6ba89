/** How close the static Space's drawn activation map must be to Node's (test/space.spec.ts, test/space-face-crop.spec.ts). */

/** Heat opacity is drawn in 0..255: ONNX Runtime Web and Node differ in float rounding only. */
export const CAM_ALPHA_TOLERANCE = 2;
/** The browser's decoding differs from sharp's by a level or two per pixel; the drawn map's mean moves less than this. */
export const CAM_ALPHA_MEAN_TOLERANCE_SHARP = 3;
