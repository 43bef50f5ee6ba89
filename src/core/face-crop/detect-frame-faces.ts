/**
 * Faces + 68 landmarks in one frame, with a choice of detector:
 * - "fast" (default): face-api's Tiny Face Detector (256 px input for video frames: about 30 ms per frame on one
 *   core here, 45 ms at 320), so a video check keeps up with 2 fps sampling; landmarks come from the same
 *   68-point net as the training crops.
 * - "accurate": detectFaces() (SSD MobileNet v1), the very detector the reference dataset's crops were framed with,
 *   about 300-450 ms per frame in tfjs-wasm: use it on stills or when the fast one misses faces.
 * Both run offline on the project's single tfjs instance; the crop is framed from the landmarks, not the box.
 */
import type * as FaceApi from "@vladmandic/face-api/dist/face-api.node-wasm";
import { detectFaces, type DetectedFace, type PixelImage } from "../reference-data/detect-faces";
import { loadFaceApi, toDetectedFace } from "../reference-data/load-face-api";
import { loadTensorflow } from "../shared/tensorflow";
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
  const { image } = params;
  if ((params.detector ?? "fast") === "accurate") {
    const faces = await detectFaces(image, { minScore: params.minScore, maxFaces: params.maxFaces });
    return params.plausibleOnly ? faces.filter(isPlausibleFace) : faces;
  }
  const faceapi = await loadFaceApi(["tinyFaceDetector", "faceLandmark68Net"]);
  const tf = await loadTensorflow();
  const channels = image.channels ?? image.data.length / (image.width * image.height);
  // A view, not a copy: tfjs converts the bytes to int32 once, as it must anyway.
  const data = image.data instanceof Uint8Array ? image.data : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const input = channels === 3
    ? tf.tensor3d(data, [image.height, image.width, 3], "int32")
    : tf.tidy(() => tf.slice(tf.tensor3d(data, [image.height, image.width, channels], "int32"), [0, 0, 0], [-1, -1, 3]));
  try {
    const options = new faceapi.TinyFaceDetectorOptions({ inputSize: params.inputSize ?? FRAME_INPUT_SIZE, scoreThreshold: params.minScore ?? 0.5 });
    // face-api's bundled typings declare their own tf.Tensor class; at run time it is this very tfjs (checked on load).
    const results = await faceapi.detectAllFaces(input as unknown as FaceApi.tf.Tensor3D, options).withFaceLandmarks();
    return results
      .map(toDetectedFace)
      .filter((face) => !params.plausibleOnly || isPlausibleFace(face))
      .sort((a, b) => b.score - a.score)
      .slice(0, params.maxFaces ?? 20)
      .sort((a, b) => a.box.x - b.box.x || a.box.y - b.box.y);
  } finally {
    input.dispose();
  }
}
