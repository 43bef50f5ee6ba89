/** Runs an exported model on image files and folders: the same decoding as training, batched through onnxruntime-node. */
import { availableParallelism } from "node:os";
import { createOnnxSession, runOnnx } from "../onnx/onnx-session";
import { throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { runBounded } from "../shared/run-bounded";
import { expandInputs, type InputFile } from "./expand-inputs";
import { loadExport } from "./load-export";
import { loadImageTensor } from "./load-image-tensor";
import { ImageReadError, InvalidExportError } from "./predict-errors";

/** One image's result: the most probable label and every label's probability (labels.json order). */
export interface Prediction {
  file: string;
  label: string;
  probabilities: Record<string, number>;
}

/** A file that could not be predicted, with the reason. */
export interface PredictionError {
  file: string;
  error: string;
}

export type PredictResult = Prediction | PredictionError;

/** Parameters of predict. */
export interface PredictParams extends OperationOptions {
  /** The export folder (model.onnx + labels.json + preprocess.json). */
  modelDir: string;
  /** Image files and folders (searched recursively). */
  inputs: string[];
  /** Images per onnxruntime call (default 32). */
  batchSize?: number;
  /** onnxruntime intra-op threads (default: every core). */
  threads?: number;
}

const DEFAULT_BATCH_SIZE = 32;

/**
 * Predicts every image, in input order (folders expanded in name order). Unreadable files get `{ file, error }`;
 * files inside folders that are not images at all are skipped (a warning counts them). Throws only when the
 * export itself is unusable or the run is cancelled.
 */
export async function predict(params: PredictParams): Promise<PredictResult[]> {
  const { signal, onProgress } = params;
  const exported = await loadExport({ modelDir: params.modelDir });
  const files = await expandInputs({ inputs: params.inputs, signal });
  if (files.length === 0) return [];
  const [height, width] = exported.preprocess.size;
  const perImage = height * width * 3;
  const batchSize = Math.max(1, Math.floor(params.batchSize ?? DEFAULT_BATCH_SIZE));
  onProgress?.({ event: "phase", phase: "predict", message: `Predicting ${files.length} file(s) with ${exported.modelDir}` });

  const session = await createOnnxSession(exported.modelBytes, { threads: params.threads });
  const results: Array<PredictResult | undefined> = new Array(files.length);
  let skipped = 0;
  try {
    const batch = new Float32Array(batchSize * perImage);
    for (let start = 0; start < files.length; start += batchSize) {
      throwIfAborted(signal, "prediction");
      const chunk = files.slice(start, start + batchSize);
      // Decode into per-file slots, then pack the good ones so the model only sees real images.
      const decoded: Array<Float32Array | undefined> = new Array(chunk.length);
      await runBounded(chunk, decodeConcurrency(), async (input, index) => {
        const outcome = await decode(input, exported.preprocess);
        if (outcome instanceof Float32Array) decoded[index] = outcome;
        else if (outcome === "skip") skipped += 1;
        else results[start + index] = outcome;
      }, signal);
      throwIfAborted(signal, "prediction");
      const good = decoded.flatMap((data, index) => (data ? [index] : []));
      good.forEach((index, slot) => batch.set(decoded[index] as Float32Array, slot * perImage));
      if (good.length > 0) {
        const { probabilities } = await runOnnx(session, batch.subarray(0, good.length * perImage), good.length, height, width);
        if (!probabilities) throw new InvalidExportError(`${exported.modelDir}/model.onnx returned no probabilities output.`);
        const classes = exported.labels.length;
        good.forEach((index, slot) => {
          results[start + index] = toPrediction(chunk[index].file, exported.labels, probabilities.subarray(slot * classes, (slot + 1) * classes));
        });
      }
      onProgress?.({ event: "progress", phase: "predict", done: Math.min(start + batchSize, files.length), total: files.length });
    }
  } finally {
    await session.release();
  }
  if (skipped > 0) onProgress?.({ event: "warning", message: `Skipped ${skipped} file(s) in the given folders that are not images.` });
  return results.filter((result): result is PredictResult => result !== undefined);
}

/** The image tensor, "skip" for a non-image found in a folder, or the error entry. */
async function decode(input: InputFile, preprocess: Parameters<typeof loadImageTensor>[0]["preprocess"]): Promise<Float32Array | "skip" | PredictionError> {
  try {
    return await loadImageTensor({ source: input.file, preprocess });
  } catch (error) {
    if (error instanceof ImageReadError) {
      // A folder holds whatever it holds (notes, .json sidecars); only files named explicitly must be images.
      if (input.fromFolder && error.reason === "not-an-image") return "skip";
      return { file: input.file, error: error.message };
    }
    return { file: input.file, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Labels → probabilities, and the arg-max label (the first one on a tie). */
function toPrediction(file: string, labels: string[], row: Float32Array): Prediction {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return { file, label: labels[best], probabilities: Object.fromEntries(labels.map((label, i) => [label, row[i]])) };
}

/** sharp decodes on libuv's pool; a few in flight keep it busy without holding many full-size images in memory. */
function decodeConcurrency(): number {
  return Math.max(2, Math.min(8, availableParallelism()));
}
