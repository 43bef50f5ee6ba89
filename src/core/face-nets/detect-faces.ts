/** Face detection + 68-point landmarks with face-api (SSD MobileNet v1) on the project's single tfjs instance. */
import type * as FaceApi from "@vladmandic/face-api/dist/face-api.node-wasm";
import { StudioError } from "../shared/errors";
import { loadTensorflow } from "../shared/tensorflow";
import { loadFaceApi, toDetectedFace } from "./load-face-api";

/** A point in the image's pixel coordinates. */
export interface FacePoint {
  x: number;
  y: number;
}

/** Axis-aligned box in pixel coordinates. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One face: detector box and score, and the 68 iBUG landmarks (jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67). */
export interface DetectedFace {
  box: FaceBox;
  landmarks: FacePoint[];
  score: number;
}

/** Decoded pixels, 3 (RGB) or 4 (RGBA) interleaved channels; the channel count is inferred when omitted. */
export interface PixelImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels?: 3 | 4;
}

/** Detector knobs; the defaults suit photos with a few people in them. */
export interface DetectFacesOptions {
  /** Faces scoring below this are dropped (0-1, default 0.5). */
  minScore?: number;
  /** At most this many faces (default 20). */
  maxFaces?: number;
}

/** Finds faces and their landmarks, ordered left to right so face indices are stable between runs. */
export async function detectFaces(image: PixelImage, options: DetectFacesOptions = {}): Promise<DetectedFace[]> {
  const faceapi = await loadFaceApi(["ssdMobilenetv1", "faceLandmark68Net"]);
  const tf = await loadTensorflow();
  const input = tf.tensor3d(toRgb(image), [image.height, image.width, 3], "int32");
  try {
    const detectorOptions = new faceapi.SsdMobilenetv1Options({ minConfidence: options.minScore ?? 0.5, maxResults: options.maxFaces ?? 20 });
    // face-api's bundled typings declare their own tf.Tensor class; at run time it is this very tfjs (checked in loadFaceApi).
    const results = await faceapi.detectAllFaces(input as unknown as FaceApi.tf.Tensor3D, detectorOptions).withFaceLandmarks();
    return results.map(toDetectedFace).sort((a, b) => a.box.x - b.box.x || a.box.y - b.box.y);
  } finally {
    input.dispose();
  }
}

/** Packs the pixels as RGB int32, dropping alpha, which is what face-api's tensor input expects. */
function toRgb(image: PixelImage): Int32Array {
  const pixels = image.width * image.height;
  const channels = image.channels ?? image.data.length / pixels;
  if (channels !== 3 && channels !== 4) {
    throw new StudioError(`Expected RGB or RGBA pixels, got ${channels} values per pixel.`, "image-invalid");
  }
  const rgb = new Int32Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    rgb[i * 3] = image.data[i * channels];
    rgb[i * 3 + 1] = image.data[i * channels + 1];
    rgb[i * 3 + 2] = image.data[i * channels + 2];
  }
  return rgb;
}

