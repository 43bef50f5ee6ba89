/**
 * Who is in a picture, as face-api's 128-number face descriptor (its ResNet-34 recognition net, offline on the
 * project's tfjs-wasm): the largest face found by the fast detector, else the accurate one (each with the close-up
 * retry), cut square around its detection box. Two descriptors closer than 0.6 are, by face-api's convention, the same person.
 */
import type * as FaceApi from "@vladmandic/face-api/dist/face-api.node-wasm";
import { detectStillFaces } from "../face-crop/detect-still-faces";
import { loadFaceApi } from "../face-nets/load-face-api";
import { loadTensorflow } from "../shared/tensorflow";

/** face-api's recognition net takes a 150×150 face. */
const CHIP_SIZE = 150;
/** The detection box is tight around brows and chin; a little context matches the chips the net was trained on. */
const CHIP_MARGIN = 1.1;

/** Parameters of faceIdentityDescriptor. */
export interface FaceIdentityDescriptorParams {
  /** Packed RGB pixels. */
  image: { data: Uint8Array; width: number; height: number };
}

/** The descriptor of the largest face, or undefined when no face is found. */
export async function faceIdentityDescriptor(params: FaceIdentityDescriptorParams): Promise<Float32Array | undefined> {
  const { image } = params;
  // The fast detector misses many tight close-ups (face crops); the accurate one is tried only on those misses.
  let { faces } = await detectStillFaces({ image, detector: "fast" });
  if (faces.length === 0) ({ faces } = await detectStillFaces({ image, detector: "accurate" }));
  if (faces.length === 0) return undefined;
  const face = faces.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));
  const faceapi = await loadFaceApi(["faceRecognitionNet"]);
  const tf = await loadTensorflow();
  const side = Math.max(face.box.width, face.box.height) * CHIP_MARGIN;
  const cx = face.box.x + face.box.width / 2;
  const cy = face.box.y + face.box.height / 2;
  // cropAndResize takes the box in 0..1 of the picture and fills what lies outside it with black.
  const box = [(cy - side / 2) / image.height, (cx - side / 2) / image.width, (cy + side / 2) / image.height, (cx + side / 2) / image.width];
  const chip = tf.tidy(() => {
    const pixels = tf.tensor4d(image.data, [1, image.height, image.width, 3], "int32").toFloat();
    return tf.image.cropAndResize(pixels, [box], [0], [CHIP_SIZE, CHIP_SIZE]).squeeze([0]) as import("@tensorflow/tfjs").Tensor3D;
  });
  try {
    // face-api's bundled typings declare their own tf.Tensor class; at run time it is this very tfjs (checked on load).
    const descriptor = await faceapi.computeFaceDescriptor(chip as unknown as FaceApi.tf.Tensor3D);
    return Array.isArray(descriptor) ? descriptor[0] : descriptor;
  } finally {
    chip.dispose();
  }
}
