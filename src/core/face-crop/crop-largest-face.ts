/**
 * One picture → the crop of its largest face, framed by cropTrainingFace (the framing check uses on video frames)
 * and encoded as the dataset stores images. Import, training and predict all come through here, so a face is cut
 * the same way wherever it is seen.
 */
import { describePixels, processImage, type ProcessedImage } from "../shared/process-image";
import type { RawPixels } from "../shared/perceptual-hash";
import type { FaceBox, FacePoint } from "../face-nets/detect-faces";
import { faceFrame } from "../face-nets/face-frame";
import { cropTrainingFace } from "./crop-training-face";
import { detectStillFaces } from "./detect-still-faces";
import type { FaceCropSettings } from "./face-crop-settings";

/** Where the crop came from, in the pixels of the picture it was cut from (the manifest's `face`). */
export interface FaceCropPlacement {
  /** The detector's box around the chosen face. */
  box: FaceBox;
  score: number;
  /** Centre and side of the square that became the crop. */
  centre: FacePoint;
  side: number;
  /** Faces found in the picture; the largest one was cropped. */
  facesFound: number;
}

/** A crop ready for the dataset (JPEG + hashes + pixels) and where it sits in the picture. */
export interface FaceCrop {
  image: ProcessedImage;
  placement: FaceCropPlacement;
  /** The face's 68 landmarks in the crop's pixels. */
  landmarks: FacePoint[];
}

/** Crops the largest face of already verified, resized RGB pixels; undefined when no face is found. */
export async function cropLargestFace(params: { pixels: RawPixels; settings: FaceCropSettings }): Promise<FaceCrop | undefined> {
  const { pixels, settings } = params;
  const image = { data: pixels.data, width: pixels.width, height: pixels.height, channels: 3 as const };
  // A close-up whose face fills the picture is found on a border-extended copy; its crop then repeats edge pixels.
  // Only faces laid out like one (a test pattern's digit was boxed as a face); the other detector gets a try when the
  // recipe's finds none (the Tiny one finds some faces the SSD misses: 54 → 56 of the reference set's 60).
  let { faces } = await detectStillFaces({ image, detector: settings.detector, minScore: settings.minScore, plausibleOnly: true });
  if (faces.length === 0) ({ faces } = await detectStillFaces({ image, detector: settings.detector === "accurate" ? "fast" : "accurate", minScore: settings.minScore, plausibleOnly: true }));
  if (faces.length === 0) return undefined;
  const sized = faces.map((face) => ({ face, size: faceFrame(face.landmarks).size }));
  // Largest by landmark extent (what the crop is framed from); the detector's order breaks ties.
  const chosen = sized.reduce((best, next) => (next.size > best.size ? next : best)).face;
  const crop = cropTrainingFace({ image, landmarks: chosen.landmarks, margin: settings.margin, size: settings.size });
  const cropPixels = { data: Buffer.from(crop.pixels.buffer, crop.pixels.byteOffset, crop.pixels.byteLength), width: crop.size, height: crop.size, channels: 3 };
  return {
    image: await describePixels(cropPixels, "face-crop", settings.jpegQuality),
    placement: { box: roundBox(chosen.box), score: round(chosen.score, 4), centre: { x: round(crop.centre.x, 2), y: round(crop.centre.y, 2) }, side: round(crop.side, 2), facesFound: faces.length },
    landmarks: crop.landmarks,
  };
}

/** A file's bytes → verified and resized as gather does (processImage), then its largest face cropped. */
export async function cropFaceFromBytes(params: { bytes: Uint8Array; settings: FaceCropSettings }): Promise<{ picture: ProcessedImage; crop?: FaceCrop }> {
  const picture = await processImage(Buffer.from(params.bytes.buffer, params.bytes.byteOffset, params.bytes.byteLength), { resizeMax: params.settings.resizeMax });
  const crop = await cropLargestFace({ pixels: picture.pixels, settings: params.settings });
  return crop ? { picture, crop } : { picture };
}

function roundBox(box: FaceBox): FaceBox {
  return { x: round(box.x, 1), y: round(box.y, 1), width: round(box.width, 1), height: round(box.height, 1) };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
