/** A small wrapper over onnxruntime-node for the exported feature/probability graphs. */
import { availableParallelism } from "node:os";
import type { InferenceSession } from "onnxruntime-node";
import { OnnxExportError } from "./onnx-errors";

/** convert-layers-model.ts's ONNX_NAMES.blendStatistics (not imported: that module pulls in the converter). */
const BLEND_STATISTICS_INPUT = "blend_statistics";
/** convert-layers-model.ts's ONNX_NAMES.faceRegions. */
const FACE_REGIONS_INPUT = "face_regions";

/** An ONNX Runtime session plus what runOnnx needs to know about it. */
export interface OnnxSession {
  readonly session: InferenceSession;
  readonly threads: number;
  readonly outputNames: readonly string[];
  readonly inputNames: readonly string[];
  /** Frees the native session; the object is unusable afterwards. */
  release(): Promise<void>;
}

export interface CreateOnnxSessionOptions {
  /** Threads for one operator (intra-op); defaults to every available core. */
  threads?: number;
  /**
   * Let idle pool threads busy-wait for the next operator. Off by default: with batches of 32 images every
   * operator is long, so spinning gains little, while on a shared CPU (the editor, image decoding, other jobs)
   * it cost a third of the throughput in our measurements.
   */
  spinning?: boolean;
}

export interface OnnxOutputs {
  features?: Float32Array;
  probabilities?: Float32Array;
  /** Every class's activation map on the map's grid (exports made with `cam`); its shape is `camShape`. */
  cam?: Float32Array;
  /** [count, classes, h, w]. */
  camShape?: number[];
}

/** Opens an exported model (bytes or a file path) on the CPU with full graph optimisation. */
export async function createOnnxSession(model: Uint8Array | string, options: CreateOnnxSessionOptions = {}): Promise<OnnxSession> {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new OnnxExportError(`threads must be a positive whole number, not ${threads}.`, "onnx-invalid-params");
  // Loaded lazily: the native addon is only needed by commands that run a model.
  const ort = await import("onnxruntime-node");
  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: options.spinning ? "1" : "0" } } },
  };
  try {
    const session = typeof model === "string"
      ? await ort.InferenceSession.create(model, sessionOptions)
      : await ort.InferenceSession.create(model, sessionOptions);
    return { session, threads, outputNames: session.outputNames, inputNames: session.inputNames, release: () => session.release() };
  } catch (error) {
    throw new OnnxExportError(`ONNX Runtime could not load the model: ${(error as Error).message}`, "onnx-runtime-failed",
      typeof model === "string" ? `Check that ${model} is a complete .onnx file; re-export it if needed.` : "Re-export the model.");
  }
}

/**
 * Runs `count` NHWC RGB images (raw 0..255, already resized to height x width) and returns the graph's outputs.
 * A model trained with blending statistics also needs them, `count` rows of preprocess.json's `blendStatistics.count`;
 * one trained with face contrasts needs each face's two region masks (face-features/face-regions.ts).
 */
export async function runOnnx(session: OnnxSession, data: Float32Array, count: number, height: number, width: number, extra: { blendStatistics?: Float32Array; faceRegions?: Float32Array; outputs?: ReadonlyArray<keyof OnnxOutputs> } = {}): Promise<OnnxOutputs> {
  const expected = count * height * width * 3;
  if (data.length !== expected) {
    throw new OnnxExportError(`runOnnx got ${data.length} values for ${count} images of ${height}x${width}x3 (${expected} expected).`, "onnx-invalid-params");
  }
  const ort = await import("onnxruntime-node");
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { image: new ort.Tensor("float32", data, [count, height, width, 3]) };
  if (session.inputNames.includes(BLEND_STATISTICS_INPUT)) {
    const statistics = extra.blendStatistics;
    if (!statistics || count === 0 || statistics.length % count !== 0) {
      throw new OnnxExportError("This model also reads the blending statistics of each face, and none (or the wrong number) were given.", "onnx-invalid-params",
        "Run it through the studio's predict or check, which measure them; preprocess.json's blendStatistics says how many per picture.");
    }
    feeds[BLEND_STATISTICS_INPUT] = new ort.Tensor("float32", statistics, [count, statistics.length / count]);
  }
  if (session.inputNames.includes(FACE_REGIONS_INPUT)) {
    const regions = extra.faceRegions;
    const grid = regions && count > 0 ? Math.round(Math.sqrt(regions.length / (2 * count))) : 0;
    if (!regions || grid === 0 || 2 * count * grid * grid !== regions.length) {
      throw new OnnxExportError("This model also reads where each face's inner face and the skin around it lie, and no such masks (or the wrong number) were given.", "onnx-invalid-params",
        "Run it through the studio's predict or check, which find the faces and compute them (face-features/face-regions.ts).");
    }
    feeds[FACE_REGIONS_INPUT] = new ort.Tensor("float32", regions, [count, 2, grid, grid]);
  }
  let results: InferenceSession.OnnxValueMapType;
  try {
    // Outputs nobody asked for are not copied out (the activation maps are 2 x 56 x 56 floats per picture).
    const fetches = extra.outputs?.filter((name) => session.outputNames.includes(name));
    results = fetches ? await session.session.run(feeds, fetches) : await session.session.run(feeds);
  } catch (error) {
    throw new OnnxExportError(`ONNX Runtime failed to run the model: ${(error as Error).message}`, "onnx-runtime-failed",
      "Check that the images match the size the model was exported for.");
  }
  const outputs: OnnxOutputs = {};
  for (const name of ["features", "probabilities", "cam"] as const) {
    const tensor = results[name];
    if (tensor) outputs[name] = tensor.data as Float32Array;
  }
  if (results.cam) outputs.camShape = results.cam.dims.map(Number);
  return outputs;
}
