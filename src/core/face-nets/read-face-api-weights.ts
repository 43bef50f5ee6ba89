/**
 * face-api's shipped weights (model/<net>-weights_manifest.json + .bin), read without TensorFlow.js: the ONNX nets
 * are built from the very numbers face-api loads, so no second copy of any model is downloaded or shipped.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { StudioError } from "../shared/errors";

/** One weight tensor, dequantised to float32 exactly as tfjs does (q × scale + min). */
export interface FaceApiWeight {
  shape: number[];
  data: Float32Array;
}

/** The face-api nets the studio runs. */
export type FaceApiModelName = "ssd_mobilenetv1_model" | "tiny_face_detector_model" | "face_landmark_68_model";

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale: number; min: number };
}

/** face-api's model folder inside node_modules. */
export function faceApiModelDir(): string {
  return path.join(path.dirname(require.resolve("@vladmandic/face-api/package.json")), "model");
}

/** Reads one net's weights by name (int32 entries, TF graph constants face-api ignores, are skipped). */
export async function readFaceApiWeights(model: FaceApiModelName, dir = faceApiModelDir()): Promise<Map<string, FaceApiWeight>> {
  let manifest: Array<{ paths: string[]; weights: ManifestEntry[] }>;
  let bytes: Buffer;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(dir, `${model}-weights_manifest.json`), "utf8")) as typeof manifest;
    bytes = Buffer.concat(await Promise.all(manifest.flatMap((group) => group.paths.map((file) => fs.readFile(path.join(dir, file))))));
  } catch (error) {
    throw new StudioError(`The face model ${model} could not be read from ${dir} (${(error as Error).message}).`, "face-api-missing", "Run `npm install` in the studio's folder to restore @vladmandic/face-api.");
  }
  const weights = new Map<string, FaceApiWeight>();
  let offset = 0;
  for (const entry of manifest.flatMap((group) => group.weights)) {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const q = entry.quantization;
    const width = q ? (q.dtype === "uint8" ? 1 : 2) : 4;
    if (entry.dtype === "float32") weights.set(entry.name, { shape: entry.shape, data: dequantise(bytes, offset, count, q) });
    offset += count * width;
  }
  if (offset !== bytes.length) throw new StudioError(`The face model ${model} in ${dir} is damaged (${bytes.length} bytes, ${offset} expected).`, "face-api-missing", "Run `npm install` in the studio's folder to restore @vladmandic/face-api.");
  return weights;
}

function dequantise(bytes: Buffer, offset: number, count: number, q: ManifestEntry["quantization"]): Float32Array {
  const out = new Float32Array(count);
  if (!q) {
    for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(offset + i * 4);
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = (q.dtype === "uint8" ? bytes[offset + i] : bytes.readUInt16LE(offset + i * 2)) * q.scale + q.min;
  return out;
}
