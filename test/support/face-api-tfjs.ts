/**
 * face-api's own tfjs path, the reference the ONNX nets are held to: SSD (reference-data/detectFaces, which the
 * reference dataset is still built with) and the Tiny Face Detector as detect-frame-faces.ts ran it before the ONNX
 * nets, plus "today's recipe" for a still: SSD, and a second try on a border-extended copy when it finds nothing.
 */
import type * as FaceApi from "@vladmandic/face-api/dist/face-api.node-wasm";
import { withCloseUpRetry } from "../../src/core/face-crop/close-up-retry";
import { detectFaces, type DetectedFace } from "../../src/core/face-nets/detect-faces";
import { loadFaceApi, toDetectedFace } from "../../src/core/face-nets/load-face-api";
import { loadTensorflow } from "../../src/core/shared/tensorflow";

type Rgb = { data: Uint8Array; width: number; height: number };

/** face-api on tfjs-wasm: detectAllFaces(...).withFaceLandmarks() with the SSD ("accurate") or the Tiny detector at `inputSize`. */
export async function detectFacesTfjs(image: Rgb, detector: "accurate" | "fast", inputSize = 416): Promise<DetectedFace[]> {
  if (detector === "accurate") return detectFaces({ ...image, channels: 3 });
  const faceapi = await loadFaceApi(["tinyFaceDetector", "faceLandmark68Net"]);
  const tf = await loadTensorflow();
  const input = tf.tensor3d(image.data, [image.height, image.width, 3], "int32");
  try {
    const options = new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: 0.5 });
    const results = await faceapi.detectAllFaces(input as unknown as FaceApi.tf.Tensor3D, options).withFaceLandmarks();
    return results.map(toDetectedFace).sort((a, b) => a.box.x - b.box.x || a.box.y - b.box.y);
  } finally {
    input.dispose();
  }
}

/** The face-crop recipe before the ONNX nets: face-api's SSD on tfjs, then on a border-extended copy when it finds nothing. */
export async function detectStillFacesTfjs(image: Rgb): Promise<DetectedFace[]> {
  return (await withCloseUpRetry(image, (picture) => detectFacesTfjs(picture, "accurate"))).faces;
}
