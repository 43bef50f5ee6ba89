/**
 * Scores face crops with the exported model in batches: crops are queued, and every `batchSize` of them (or at
 * flush) go through onnxruntime-node in one call. Only the queued crops are held, so memory stays bounded. check
 * asks for each crop to be JPEG-encoded first, as the training crops were stored.
 */
import { classMapAt } from "../cam/resize-map";
import { InvalidExportError } from "../predict/predict-errors";
import type { LoadedExport } from "../predict/load-export";
import { loadImageTensor } from "../shared/load-image-tensor";
import { encodeCropLikeDataset } from "../face-crop/encode-crop-like-dataset";
import { runOnnx, type OnnxSession } from "../onnx/onnx-session";
import { blendStatisticsOfInput } from "../face-features/blend-statistics";
import { faceRegionsOfInput } from "../face-features/face-regions";
import { concatRows } from "../shared/concat-rows";
import type { FacePoint } from "../face-nets/detect-faces";

/** Queues crops and resolves each with its probabilities (labels.json order). */
export interface FaceScorer {
  /** Queues one square RGB crop (with the face's landmarks in its pixels, for models that read blending statistics); resolves once its batch has run. */
  score(crop: ScoredCrop): Promise<Float32Array>;
  /** Runs whatever is queued; resolves when every queued crop has its probabilities. */
  flush(): Promise<void>;
  /**
   * The crop as the model saw it and the class activation map of `label` over it (height x width of the model's
   * input), run alone after whatever is queued; undefined when the export has no `cam` output.
   */
  mapOf(crop: ScoredCrop, label: number): Promise<{ input: Float32Array; map: Float64Array } | undefined>;
}

/** Parameters of createFaceScorer. */
export interface CreateFaceScorerParams {
  session: OnnxSession;
  exported: Pick<LoadedExport, "modelDir" | "labels" | "preprocess">;
  /** Crops per onnxruntime call (default 16). */
  batchSize?: number;
  /**
   * JPEG-encode each crop at this quality (and decode it) before scoring, as the dataset stored the model's training
   * crops and as predict reads a stored crop; absent: the crop's pixels as they are.
   */
  jpegQuality?: number;
}

/** A square RGB crop to score. */
export interface ScoredCrop {
  pixels: Uint8Array;
  size: number;
  landmarks?: readonly FacePoint[];
}

/** A crop as the model reads it: its bytes when they are already the model's size (set into the batch as they are), else resized values. */
type ModelInput = Uint8Array | Float32Array;

interface Pending {
  input: ModelInput | Promise<ModelInput>;
  landmarks?: readonly FacePoint[];
  size: number;
  resolve(probabilities: Float32Array): void;
  reject(error: unknown): void;
}

/** Creates a scorer over an open session; crops that are not the model's input size are squish-resized as training did. */
export function createFaceScorer(params: CreateFaceScorerParams): FaceScorer {
  const { session, exported } = params;
  const [height, width] = exported.preprocess.size;
  const perImage = height * width * 3;
  const classes = exported.labels.length;
  const batchSize = Math.max(1, Math.floor(params.batchSize ?? 16));
  const batch = new Float32Array(batchSize * perImage);
  let queue: Pending[] = [];
  // One batch at a time: runs are chained so the shared input buffer is never written while a run reads it.
  let running: Promise<void> = Promise.resolve();

  const statistics = exported.preprocess.blendStatistics;
  const pixelsToInput = (pixels: Uint8Array, size: number): ModelInput | Promise<ModelInput> => {
    // The batch's Float32Array.set converts the bytes: no float copy of each crop to allocate and collect.
    if (size === width && size === height) return pixels;
    // Training resized its 224 px crops to the model's size with the recorded kernel (loadImageTensor): do the same.
    return loadImageTensor({ source: { data: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), width: size, height: size }, preprocess: exported.preprocess });
  };
  // Encoding happens inside the queued input, so a crop is queued at once and a flush right after still runs it.
  const { jpegQuality } = params;
  const toInput = (crop: ScoredCrop): ModelInput | Promise<ModelInput> =>
    jpegQuality === undefined ? pixelsToInput(crop.pixels, crop.size)
      : encodeCropLikeDataset({ pixels: crop.pixels, width: crop.size, height: crop.size }, jpegQuality).then((stored) => pixelsToInput(stored, crop.size));

  /** What the model reads beside the pixels (blending statistics, face regions), for `jobs` in order. */
  const extraInputs = (jobs: ReadonlyArray<Pick<Pending, "landmarks" | "size">>, inputs: readonly ModelInput[]): { blendStatistics?: Float32Array; faceRegions?: Float32Array } => {
    let blendStatistics: Float32Array | undefined;
    if (statistics) {
      blendStatistics = new Float32Array(jobs.length * statistics.count);
      jobs.forEach((job, slot) => blendStatistics!.set(job.landmarks
        ? blendStatisticsOfInput({ input: inputs[slot], size: [height, width], landmarks: job.landmarks, from: { width: job.size, height: job.size }, version: statistics.version })
        : statistics.missing, slot * statistics.count));
    }
    const faceRegions = exported.preprocess.faceContrast
      ? concatRows(jobs.map((job) => faceRegionsOfInput({ size: [height, width], landmarks: job.landmarks, from: { width: job.size, height: job.size } })))
      : undefined;
    return { blendStatistics, faceRegions };
  };

  const runQueued = (): Promise<void> => {
    const jobs = queue;
    queue = [];
    if (jobs.length === 0) return running;
    running = running.then(async () => {
      try {
        const inputs = await Promise.all(jobs.map((job) => job.input));
        inputs.forEach((input, slot) => batch.set(input, slot * perImage));
        const { probabilities } = await runOnnx(session, batch.subarray(0, jobs.length * perImage), jobs.length, height, width, { ...extraInputs(jobs, inputs), outputs: ["probabilities"] });
        if (!probabilities) throw new InvalidExportError(`${exported.modelDir}/model.onnx returned no probabilities output.`);
        jobs.forEach((job, slot) => job.resolve(probabilities.slice(slot * classes, (slot + 1) * classes)));
      } catch (error) {
        for (const job of jobs) job.reject(error);
      }
    });
    return running;
  };

  return {
    score(crop) {
      return new Promise<Float32Array>((resolve, reject) => {
        const input = toInput(crop);
        // A failed resize is reported through this crop's promise when its batch runs, not as an unhandled rejection now.
        if (input instanceof Promise) input.catch(() => undefined);
        queue.push({ input, landmarks: crop.landmarks, size: crop.size, resolve, reject });
        if (queue.length >= batchSize) void runQueued();
      });
    },
    flush: runQueued,
    async mapOf(crop, label) {
      if (!session.outputNames.includes("cam")) return undefined;
      const read = await toInput(crop);
      const input = read instanceof Float32Array ? read : Float32Array.from(read);
      await runQueued();
      const run = running.then(() => runOnnx(session, input, 1, height, width, { ...extraInputs([crop], [input]), outputs: ["cam"] }));
      running = run.then(() => undefined, () => undefined);
      const { cam, camShape } = await run;
      return cam && camShape ? { input, map: classMapAt(cam, camShape, 0, label, height, width) } : undefined;
    },
  };
}

