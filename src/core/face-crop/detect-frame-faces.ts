/**
 * Faces + 68 landmarks in one frame, with a choice of detector, both face-api's nets run on ONNX Runtime
 * (face-nets/detect-faces-onnx.ts: same weights and arithmetic as face-api's tfjs code, 0.01 px apart at most):
 * - "fast" (default): the Tiny Face Detector (256 px input for video frames: ≈ 2 ms of CPU, 416 for stills ≈ 10 ms);
 *   landmarks come from the same 68-point net as the training crops.
 * - "accurate": SSD MobileNet v1 at 512 px, the detector the reference dataset's crops were framed with and face-crop
 *   projects crop with (≈ 50 ms of CPU on a square picture, ≈ 35 on a 3:2 one: ssd-window.ts).
 * The crop is framed from the landmarks, not the box. The nets run on worker threads (face-net-pool.ts).
 */
import type { DetectedFace, PixelImage } from "../face-nets/detect-faces";
import { detectFacesPooled } from "../face-nets/face-net-pool";
import type { FaceDetectorKind } from "./face-crop-settings";
import { isPlausibleFace } from "./is-plausible-face";

export type { FaceDetectorKind };

/** Parameters of detectFrameFaces. */
export interface DetectFrameFacesParams {
  /** RGB (or RGBA) pixels of the frame. */
  image: PixelImage;
  detector?: FaceDetectorKind;
  /** Detections scoring below this are dropped (0-1, default 0.5). */
  minScore?: number;
  /** At most this many faces (default 20). */
  maxFaces?: number;
  /** The fast detector's input side, a multiple of 32 (default 256; stills can afford 416 for smaller faces). */
  inputSize?: number;
  /** Drop detections whose landmarks are not laid out like a face (isPlausibleFace): boxes on textures, digits, patterns. */
  plausibleOnly?: boolean;
}

/**
 * The Tiny Face Detector's input side for video: a call-sized face (a quarter to a third of a 640 px frame) is still
 * 60-85 px at 256, well above what it finds, and 256 leaves time for two crops per face at 10 frames/s on 2 cores.
 */
export const FRAME_INPUT_SIZE = 256;

/** Finds the faces in one frame, left to right (the order detectFaces uses), each with its 68 landmarks. */
export async function detectFrameFaces(params: DetectFrameFacesParams): Promise<DetectedFace[]> {
  const detector = params.detector ?? "fast";
  const faces = await detectFacesPooled({ image: params.image, detector, minScore: params.minScore, maxFaces: params.maxFaces, inputSize: params.inputSize ?? FRAME_INPUT_SIZE });
  return faces
    .filter((face) => !params.plausibleOnly || isPlausibleFace(face))
    .sort((a, b) => b.score - a.score)
    .slice(0, params.maxFaces ?? 20)
    .sort((a, b) => a.box.x - b.box.x || a.box.y - b.box.y);
}
