/** The one loader of face-api (detectors + 68 landmarks) on the project's single tfjs instance; nets load on demand. */
import * as path from "node:path";
import type * as FaceApi from "@vladmandic/face-api/dist/face-api.node-wasm";
import { StudioError } from "../shared/errors";
import { loadTensorflow } from "../shared/tensorflow";

export type FaceApiModule = typeof FaceApi;
export type FaceApiNet = "ssdMobilenetv1" | "tinyFaceDetector" | "faceLandmark68Net" | "faceRecognitionNet";

let moduleLoading: Promise<FaceApiModule> | undefined;
const netsLoading = new Map<FaceApiNet, Promise<void>>();

/** Loads face-api once and the requested nets once each; a failed load is retried on the next call. */
export async function loadFaceApi(nets: readonly FaceApiNet[]): Promise<FaceApiModule> {
  moduleLoading ??= loadModule();
  moduleLoading.catch(() => (moduleLoading = undefined));
  const faceapi = await moduleLoading;
  const modelDir = path.join(path.dirname(require.resolve("@vladmandic/face-api/package.json")), "model");
  await Promise.all(nets.map((net) => {
    let loading = netsLoading.get(net);
    if (!loading) {
      loading = faceapi.nets[net].loadFromDisk(modelDir);
      netsLoading.set(net, loading);
      loading.catch(() => netsLoading.delete(net));
    }
    return loading;
  }));
  return faceapi;
}

async function loadModule(): Promise<FaceApiModule> {
  const tf = await loadTensorflow();
  let faceapi: FaceApiModule;
  try {
    // The node-wasm build requires "@tensorflow/tfjs" + the wasm backend instead of bundling its own copy,
    // so Node's module cache hands it the instance loadTensorflow() already started.
    faceapi = require("@vladmandic/face-api/dist/face-api.node-wasm.js") as FaceApiModule;
  } catch (error) {
    throw new StudioError(
      `Face detection needs the package @vladmandic/face-api, which could not be loaded (${(error as Error).message}).`,
      "face-api-missing",
      "Run `npm install` in the project folder.",
    );
  }
  if ((faceapi.tf as unknown as { engine(): unknown }).engine() !== tf.engine()) {
    throw new StudioError("face-api loaded a second TensorFlow.js instance.", "tfjs-duplicate", "Make sure only one version of @tensorflow/tfjs is installed (`npm ls @tensorflow/tfjs`).");
  }
  return faceapi;
}

/** Converts face-api's result classes to plain data, rounded to 1/100 px so tiny float noise cannot change outputs. */
export function toDetectedFace(result: FaceApi.WithFaceLandmarks<{ detection: FaceApi.FaceDetection }>): {
  box: { x: number; y: number; width: number; height: number };
  landmarks: Array<{ x: number; y: number }>;
  score: number;
} {
  const round = (value: number): number => Math.round(value * 100) / 100;
  const { box, score } = result.detection;
  return {
    box: { x: round(box.x), y: round(box.y), width: round(box.width), height: round(box.height) },
    landmarks: result.landmarks.positions.map((p) => ({ x: round(p.x), y: round(p.y) })),
    score: round(score),
  };
}
