/**
 * How a picture becomes a face crop when a project sets `faceCrop: true`. The same settings travel from the
 * project (gather/import), through the run (head.json) into the export (preprocess.json), so predict, check and
 * the Space crop exactly as the training data were cropped.
 */
// Plain data only, no imports: run-files.ts (and through it the webviews' protocol) depends on this file.

/** Which face detector finds faces: "fast" is face-api's Tiny Face Detector, "accurate" its SSD MobileNet v1. */
export type FaceDetectorKind = "fast" | "accurate";

/** The middle of the reference dataset's margin range (crop-variation.ts: 1.3-1.8). */
export const TRAINING_MARGIN = 1.55;
/** Side of the reference dataset's crops (build-face-dataset.ts default); the model's own input size is reached from here as in training. */
export const TRAINING_CROP_SIZE = 224;

/** The face-crop recipe; preprocess.json's `faceCrop` has this shape. */
export interface FaceCropSettings {
  /** "accurate" (SSD MobileNet v1, ≈ 35–50 ms of CPU per still on ONNX Runtime) or "fast" (Tiny Face Detector, ≈ 10 ms). */
  detector: FaceDetectorKind;
  /** Detections scoring below this are ignored (0-1). */
  minScore: number;
  /** Pictures are first shrunk to this longest side, as gather stores them, so faces are found and cut at one scale. */
  resizeMax: number;
  /** Crop side as a multiple of the 68 landmarks' bounding box. */
  margin: number;
  /** Crop side in pixels. */
  size: number;
  /** The crop is stored as a JPEG of this quality; predict re-encodes its crop the same way so both see the same artefacts. */
  jpegQuality: number;
  /** Which face a picture with several faces contributes. */
  select: "largest";
}

/** Bump when the crop's pixels change for the same settings, so cached features of old crops are not reused. */
export const FACE_CROP_VERSION = "c1";

/** The recipe for a project: its resizeMax, the check's framing (1.55 × landmarks, 224 px) and the accurate detector. */
export function faceCropSettings(params: { resizeMax: number }): FaceCropSettings {
  return { detector: "accurate", minScore: 0.5, resizeMax: params.resizeMax, margin: TRAINING_MARGIN, size: TRAINING_CROP_SIZE, jpegQuality: 90, select: "largest" };
}
