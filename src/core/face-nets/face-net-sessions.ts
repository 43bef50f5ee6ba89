/** One ONNX Runtime session per face-api net, built from face-api's weights on first use and kept for the process. */
import { createOnnxSession, type OnnxSession } from "../onnx/onnx-session";
import { StudioError } from "../shared/errors";
import { buildLandmarkGraph, buildSsdGraph, buildTinyGraph } from "./build-face-net-graphs";
import { buildSsdInt8Graph, type SsdInt8Options } from "./ssd-int8";
import { readFaceApiWeights, type FaceApiModelName, type FaceApiWeight } from "./read-face-api-weights";

/** The nets, by what they do. */
export type FaceNet = "ssd" | "tiny" | "landmarks";

/** A net to run: one of face-api's as it computes it, or the SSD with int8 convolutions (ssd-int8.ts, measured by the benchmarks). */
export type FaceNetChoice = FaceNet | { ssdInt8: SsdInt8Options };

const MODELS: Record<FaceNet, { model: FaceApiModelName; build: (weights: Map<string, FaceApiWeight>) => Uint8Array }> = {
  ssd: { model: "ssd_mobilenetv1_model", build: buildSsdGraph },
  tiny: { model: "tiny_face_detector_model", build: buildTinyGraph },
  landmarks: { model: "face_landmark_68_model", build: buildLandmarkGraph },
};

/**
 * One intra-op thread: a picture's nets are small (one 256-416 px detection, a few 112 px landmark sets), so a
 * second thread mostly waits; two callers (import's pool, check's frames and scoring) use the second core instead.
 */
const FACE_NET_THREADS = 1;

const sessions = new Map<string, Promise<OnnxSession>>();
const weightsLoading = new Map<FaceApiModelName, Promise<Map<string, FaceApiWeight>>>();

/** The net's weights as face-api ships them (read once). */
export function faceNetWeights(net: FaceNet): Promise<Map<string, FaceApiWeight>> {
  const { model } = MODELS[net];
  let loading = weightsLoading.get(model);
  if (!loading) {
    loading = readFaceApiWeights(model);
    weightsLoading.set(model, loading);
    loading.catch(() => weightsLoading.delete(model));
  }
  return loading;
}

/** The net's session; a failed build is retried on the next call. */
export function faceNetSession(choice: FaceNetChoice): Promise<OnnxSession> {
  const key = typeof choice === "string" ? choice : `ssd-int8 ${JSON.stringify(choice.ssdInt8)}`;
  let session = sessions.get(key);
  if (!session) {
    session = typeof choice === "string"
      ? faceNetWeights(choice).then((weights) => createOnnxSession(MODELS[choice].build(weights), { threads: FACE_NET_THREADS }))
      : faceNetWeights("ssd").then((weights) => createOnnxSession(buildSsdInt8Graph(weights, choice.ssdInt8), { threads: FACE_NET_THREADS }));
    sessions.set(key, session);
    session.catch(() => sessions.delete(key));
  }
  return session;
}

/** Runs a net on an NCHW batch and returns its outputs by name. */
export async function runFaceNet(choice: FaceNetChoice, input: Float32Array, dims: [number, number, number, number]): Promise<Record<string, Float32Array>> {
  const net = typeof choice === "string" ? choice : "ssd-int8";
  const { session } = await faceNetSession(choice);
  const ort = await import("onnxruntime-node");
  let results: Awaited<ReturnType<typeof session.run>>;
  try {
    results = await session.run({ image: new ort.Tensor("float32", input, dims) });
  } catch (error) {
    throw new StudioError(`Face detection failed in ONNX Runtime (${net}, input ${dims.join("×")}): ${(error as Error).message}`, "face-net-failed",
      "Check that the picture decodes (an image viewer opens it); if it does, reinstall the studio's packages (`npm install`).");
  }
  return Object.fromEntries(Object.entries(results).map(([name, tensor]) => [name, tensor.data as Float32Array]));
}
