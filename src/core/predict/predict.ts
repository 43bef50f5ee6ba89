/** Runs an exported model on image files and folders: the same decoding as training, batched through onnxruntime-node. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { classMapAt } from "../cam/resize-map";
import { landmarksBox, massShareInside, STUDIO_CROP_FACE_BOX, type UnitBox } from "../cam/map-mass";
import { isFacePooling, type TapPooling } from "../backbone/known-backbones";
import { renderCamOverlay } from "../cam/render-overlay";
import { availableParallelism } from "node:os";
import { cropFaceFromBytes } from "../face-crop/crop-largest-face";
import type { FaceCropSettings } from "../face-crop/face-crop-settings";
import { ImageRejectedError } from "../shared/process-image";
import type { FaceBox } from "../face-nets/detect-faces";
import { createOnnxSession, runOnnx } from "../onnx/onnx-session";
import { throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { runBounded } from "../shared/run-bounded";
import { expandInputs, type InputFile } from "../shared/expand-inputs";
import type { DecisionThreshold } from "../export/export-format";
import { decideLabel } from "./decide-label";
import { blendStatisticsOfInput } from "../face-features/blend-statistics";
import { faceRegionsOfInput } from "../face-features/face-regions";
import { concatRows } from "../shared/concat-rows";
import type { FacePoint } from "../face-nets/detect-faces";
import { detectLargestFace } from "../face-features/face-landmarks";
import { decodeImagePixels } from "../shared/decode-image-pixels";
import { loadExport } from "./load-export";
import { loadImageTensor } from "../shared/load-image-tensor";
import { ImageReadError } from "../shared/image-read-error";
import { InvalidExportError } from "./predict-errors";
import type { Preprocess } from "../train/run-files";

/** One image's result: the most probable label and every label's probability (labels.json order). */
export interface Prediction {
  file: string;
  label: string;
  probabilities: Record<string, number>;
  /** The export's decision threshold for its fake label, when it has one (the label was decided by it, not the arg-max). */
  threshold?: { label: string; value: number };
  /** Models trained on face crops: the face that was scored, in the file's (upright) pixels. */
  face?: PredictedFace;
  /** With `camDir`: where the model looked for its decided label. */
  cam?: PredictedCam;
}

/** predict's class activation map of one picture (cam/cam-parts.ts). */
export interface PredictedCam {
  /** The overlay PNG (the model's input, the map, the face box); absent when the model has no maps. */
  overlay?: string;
  /** Share (0..1) of the map's positive mass inside the face box, when a face is known. */
  faceShare?: number;
  /** Why there is no map: a model that was not exported with one (a full fine-tune). */
  unavailable?: string;
}

/** The face a face-crop model scored: the largest one, as training chose. */
export interface PredictedFace {
  box: FaceBox;
  score: number;
  facesFound: number;
}

/** A file that could not be predicted, with the reason. */
export interface PredictionError {
  file: string;
  error: string;
  /** "no-face" when a face-crop model found no face to score. */
  reason?: string;
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
  /** Write an activation-map overlay per picture into this folder, and add `cam` to each prediction. */
  camDir?: string;
}

/** What a picture's JSON says when its model has no map. */
export const CAM_UNAVAILABLE = "map not available for this model (a network fine-tuned by the torch or hf-jobs engine has none; an export made before maps existed gets one when the run is exported again)";

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
  const wantsCam = params.camDir !== undefined && session.outputNames.includes("cam");
  const overlays = params.camDir !== undefined ? new OverlayNames(params.camDir) : undefined;
  if (params.camDir !== undefined) await fs.mkdir(params.camDir, { recursive: true });
  const cropFaceBox = trainedOnStudioCrops(exported.metadata) ? STUDIO_CROP_FACE_BOX : undefined;
  const results: Array<PredictResult | undefined> = new Array(files.length);
  let skipped = 0;
  let noFaceForStatistics = 0;
  try {
    const batch = new Float32Array(batchSize * perImage);
    for (let start = 0; start < files.length; start += batchSize) {
      throwIfAborted(signal, "prediction");
      const chunk = files.slice(start, start + batchSize);
      // Decode into per-file slots, then pack the good ones so the model only sees real images.
      const decoded: Array<Float32Array | undefined> = new Array(chunk.length);
      const statistics: Array<Float32Array | undefined> = new Array(chunk.length);
      const faces: Array<PredictedFace | undefined> = new Array(chunk.length);
      const regions: Array<Float32Array | undefined> = new Array(chunk.length);
      const faceBoxes: Array<UnitBox | undefined> = new Array(chunk.length);
      await runBounded(chunk, decodeConcurrency(), async (input, index) => {
        const outcome = await decode(input, exported.preprocess);
        if (outcome === "skip") skipped += 1;
        else if ("error" in outcome) results[start + index] = outcome;
        else {
          decoded[index] = outcome.tensor;
          faces[index] = outcome.face;
          faceBoxes[index] = outcome.faceInInput;
          statistics[index] = outcome.blendStatistics;
          regions[index] = outcome.faceRegions;
          if (outcome.blendStatisticsMissing) noFaceForStatistics += 1;
        }
      }, signal);
      throwIfAborted(signal, "prediction");
      const good = decoded.flatMap((data, index) => (data ? [index] : []));
      good.forEach((index, slot) => batch.set(decoded[index] as Float32Array, slot * perImage));
      if (good.length > 0) {
        const blendStatistics = exported.preprocess.blendStatistics ? concatRows(good.map((index) => statistics[index] as Float32Array)) : undefined;
        const outputs: Array<"probabilities" | "cam"> = wantsCam ? ["probabilities", "cam"] : ["probabilities"];
        const faceRegions = exported.preprocess.faceContrast ? concatRows(good.map((index) => regions[index] as Float32Array)) : undefined;
        const { probabilities, cam, camShape } = await runOnnx(session, batch.subarray(0, good.length * perImage), good.length, height, width, { blendStatistics, faceRegions, outputs });
        if (!probabilities) throw new InvalidExportError(`${exported.modelDir}/model.onnx returned no probabilities output.`);
        const classes = exported.labels.length;
        // Overlays are encoded side by side (sharp works on libuv threads).
        await Promise.all(good.map(async (index, slot) => {
          const prediction = toPrediction(chunk[index].file, exported.labels, probabilities.subarray(slot * classes, (slot + 1) * classes), exported.decision);
          const withFace = faces[index] ? { ...prediction, face: faces[index] } : prediction;
          if (!overlays) results[start + index] = withFace;
          else {
            const map = cam && camShape ? classMapAt(cam, camShape, slot, exported.labels.indexOf(prediction.label), height, width) : undefined;
            const picture = decoded[index] as Float32Array;
            results[start + index] = { ...withFace, cam: map ? await writeOverlay(overlays.next(chunk[index].file), picture, map, height, width, faceBoxes[index] ?? cropFaceBox) : { unavailable: CAM_UNAVAILABLE } };
          }
        }));
      }
      onProgress?.({ event: "progress", phase: "predict", done: Math.min(start + batchSize, files.length), total: files.length });
    }
  } finally {
    await session.release();
  }
  if (skipped > 0) onProgress?.({ event: "warning", message: `Skipped ${skipped} file(s) in the given folders that are not images.` });
  if (noFaceForStatistics > 0) onProgress?.({ event: "warning", message: `No face was found in ${noFaceForStatistics} picture(s) to measure blending inside it; they were scored with the training average in its place, so their scores rest on the backbone's features alone.` });
  return results.filter((result): result is PredictResult => result !== undefined);
}

/** A decoded input: the tensor, the face it shows (face-crop models) and its blending statistics (models that read them). */
interface DecodedInput {
  tensor: Float32Array;
  face?: PredictedFace;
  blendStatistics?: Float32Array;
  /** No face was found to measure them in: the training average stands in. */
  blendStatisticsMissing?: boolean;
  /** The face's landmarks box in the tensor, as fractions, when a face was found. */
  faceInInput?: UnitBox;
  /** The face's region masks (models trained with face contrasts). */
  faceRegions?: Float32Array;
}

/** What a model reads beside the picture, from the face's landmarks in `from`'s pixels (undefined: no face found), and where that face is. */
function faceMeasurements(preprocess: Preprocess, tensor: Float32Array, landmarks: FacePoint[] | undefined, from: { width: number; height: number }): Omit<DecodedInput, "tensor" | "face"> {
  const { blendStatistics, faceContrast } = preprocess;
  return {
    ...(blendStatistics
      ? landmarks
        ? { blendStatistics: blendStatisticsOfInput({ input: tensor, size: preprocess.size, landmarks, from, version: blendStatistics.version }) }
        : { blendStatistics: Float32Array.from(blendStatistics.missing), blendStatisticsMissing: true }
      : {}),
    ...(faceContrast ? { faceRegions: faceRegionsOfInput({ size: preprocess.size, landmarks, from }) } : {}),
    // The tensor is a squish resize of `from`, so fractions of it are fractions of the tensor.
    ...(landmarks ? { faceInInput: landmarksBox(landmarks, from.width, from.height) } : {}),
  };
}

/** The image tensor (and the face it shows, for face-crop models), "skip" for a non-image found in a folder, or the error entry. */
async function decode(input: InputFile, preprocess: Preprocess): Promise<DecodedInput | "skip" | PredictionError> {
  if (preprocess.faceCrop) return decodeFace(input, preprocess, preprocess.faceCrop);
  try {
    if (!preprocess.blendStatistics && !preprocess.faceContrast) return { tensor: await loadImageTensor({ source: input.file, preprocess }) };
    // A model trained on pictures that are already face crops: find the face in the picture itself, as training did,
    // in the pixels the tensor is made from (decoded once).
    const picture = await decodeImagePixels({ source: input.file });
    const tensor = await loadImageTensor({ source: picture, preprocess });
    const found = await detectLargestFace(picture);
    return { tensor, ...faceMeasurements(preprocess, tensor, found?.landmarks, picture) };
  } catch (error) {
    if (error instanceof ImageReadError) {
      // A folder holds whatever it holds (notes, .json sidecars); only files named explicitly must be images.
      if (input.fromFolder && error.reason === "not-an-image") return "skip";
      return { file: input.file, error: error.message };
    }
    return { file: input.file, error: error instanceof Error ? error.message : String(error) };
  }
}

/** A face-crop model's input: the picture resized and its largest face cropped exactly as at import (cropFaceFromBytes). */
async function decodeFace(input: InputFile, preprocess: Preprocess, settings: FaceCropSettings): Promise<DecodedInput | "skip" | PredictionError> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(input.file);
  } catch (error) {
    return { file: input.file, error: `The file cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).` };
  }
  try {
    const { picture, crop } = await cropFaceFromBytes({ bytes, settings });
    if (!crop) {
      return { file: input.file, reason: "no-face", error: `No face found (${settings.detector} detector, score ≥ ${settings.minScore}); this model was trained on face crops, so there is nothing to score. Try a photo where the face is larger or better lit.` };
    }
    const scale = picture.sourceWidth / picture.width;
    const { box, score, facesFound } = crop.placement;
    const scaled = (value: number): number => Math.round(value * scale * 10) / 10;
    const face = { box: { x: scaled(box.x), y: scaled(box.y), width: scaled(box.width), height: scaled(box.height) }, score, facesFound };
    const tensor = await loadImageTensor({ source: crop.image.jpeg, preprocess });
    return { tensor, face, ...faceMeasurements(preprocess, tensor, crop.landmarks, { width: settings.size, height: settings.size }) };
  } catch (error) {
    if (!(error instanceof ImageRejectedError)) throw error;
    if (input.fromFolder && error.reason === "not-an-image") return "skip";
    return { file: input.file, error: error.message };
  }
}

/** Labels → probabilities, and the decided label: the export's threshold when it has one, else the arg-max. */
function toPrediction(file: string, labels: string[], row: Float32Array, decision: DecisionThreshold | undefined): Prediction {
  const label = labels[decideLabel({ labels, probabilities: row, decision })];
  return {
    file,
    label,
    probabilities: Object.fromEntries(labels.map((name, i) => [name, row[i]])),
    ...(decision ? { threshold: { label: decision.label, value: decision.threshold } } : {}),
  };
}

/** A model with inner-face poolings was trained on the studio's face crops, so its pictures' faces sit in the crop's face box. */
function trainedOnStudioCrops(metadata: Record<string, string>): boolean {
  try {
    const taps = JSON.parse(metadata.feature_taps ?? "[]") as Array<{ pooling?: TapPooling[] }>;
    return Array.isArray(taps) && taps.some((tap) => (tap.pooling ?? []).some(isFacePooling));
  } catch {
    return false;
  }
}

/** Overlay file names in the cam folder: the picture's name, numbered when two inputs share one. */
class OverlayNames {
  private readonly used = new Set<string>();
  constructor(private readonly dir: string) {}
  next(file: string): string {
    const stem = path.basename(file, path.extname(file));
    let name = `${stem}.cam.png`;
    for (let n = 2; this.used.has(name); n++) name = `${stem}-${n}.cam.png`;
    this.used.add(name);
    return path.join(this.dir, name);
  }
}

/** Writes one picture's overlay and measures its map inside the face. */
async function writeOverlay(overlay: string, picture: Float32Array, map: ArrayLike<number>, height: number, width: number, face: UnitBox | undefined): Promise<PredictedCam> {
  await fs.writeFile(overlay, await renderCamOverlay({ picture, map, height, width, face }));
  const faceShare = face ? massShareInside(map, height, width, face) : undefined;
  return { overlay, ...(faceShare !== undefined ? { faceShare: Math.round(faceShare * 1000) / 1000 } : {}) };
}

/** sharp decodes on libuv's pool; a few in flight keep it busy without holding many full-size images in memory. */
function decodeConcurrency(): number {
  return Math.max(2, Math.min(8, availableParallelism()));
}
