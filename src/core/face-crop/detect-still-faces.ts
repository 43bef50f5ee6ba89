/**
 * Faces in a still picture, with a second try when the first finds none: detectors miss a face that fills the
 * whole picture (a tight close-up, common among web photos), and find it on a copy whose border repeats the edge
 * pixels. Used by face-crop projects (gather/import, train, predict) and by `check` on stills and video frames
 * (a video call is often a close-up too; frames keep the smaller, faster input size). The retry itself is
 * close-up-retry.ts, which the static Space runs too.
 */
import { withCloseUpRetry, type RgbPixels, type StillFaces } from "./close-up-retry";
import { detectFrameFaces } from "./detect-frame-faces";
import type { FaceDetectorKind } from "./face-crop-settings";

/** The fast detector's input side for stills: larger than for video frames, since a still has time to spare. */
export const STILL_INPUT_SIZE = 416;

/** Detects faces in packed RGB pixels; when none are found, tries again on a border-extended copy (coordinates mapped back). */
export async function detectStillFaces(params: {
  image: RgbPixels;
  detector: FaceDetectorKind;
  minScore?: number;
  /** The fast detector's input side (default STILL_INPUT_SIZE; video frames use FRAME_INPUT_SIZE). */
  inputSize?: number;
  /** Only faces whose landmarks are laid out like one (see detectFrameFaces). */
  plausibleOnly?: boolean;
}): Promise<StillFaces> {
  const { image, detector, minScore, plausibleOnly } = params;
  const inputSize = params.inputSize ?? STILL_INPUT_SIZE;
  return withCloseUpRetry(image, (picture) => detectFrameFaces({ image: { ...picture, channels: 3 }, detector, minScore, inputSize, plausibleOnly }));
}
