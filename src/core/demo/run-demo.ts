/**
 * The embedded default: the whole lesson offline. Real photos that ship in an installed npm package become a
 * real-vs-manipulated dataset, which goes through the real pipeline: import → train → export → predict → space.
 * The fakes keep the person's identity (self-blends, and swaps of a face with its own mirror image), and every face
 * appears as often among the fakes as among the reals, so the model must learn the manipulation, not who is pictured.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { writeOfflineBackbone } from "../backbone";
import { cacheDir as defaultCacheDir } from "../backbone/cache-dir";
import { exportModel, type ExportResult } from "../export/export-model";
import { importFolder } from "../gather/import-folder";
import { predict } from "../predict/predict";
import { readManifest } from "../dataset/manifest";
import { CONFIG_FILE_NAME, initProject, loadProjectConfig, parseProjectConfig, resolveDataDir, type ProjectConfig } from "../project/project-config";
import { buildFaceDataset, type FaceDatasetItem } from "../reference-data/build-face-dataset";
import { throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { createSpace, type CreateSpaceResult } from "../space/create-space";
import { rememberFace } from "../face-features/face-landmarks";
import type { EpochRecord } from "../train/run-files";
import { train, type TrainResult } from "../train/train";

export interface RunDemoParams extends OperationOptions {
  /** The demo project folder (created; re-running reuses it). */
  projectDir: string;
  /** Generated images per class that go into the dataset (default 150: a frozen backbone needs hundreds to see swaps). */
  perClass?: number;
  /** Generated images per class kept out of the dataset, for `predict` (default 3). */
  heldOutPerClass?: number;
  epochs?: number;
  /** Backbone cache (default: DEEPFAKE_STUDIO_CACHE or ~/.cache/deepfake-studio). */
  cacheDir?: string;
  /** Called after every training epoch (the fastai table row). */
  onEpoch?: (record: EpochRecord) => void;
  /**
   * The fake class (default "same-person": self-blends and mirror swaps, the real threat). "other-person" (another
   * face pasted in) is for tests of `check`'s mechanics, whose clips need a model that clearly separates their swaps;
   * the frozen trainer barely sees same-person swaps (BENCHMARKS.md).
   */
  fakes?: "same-person" | "other-person";
}

export interface DemoResult {
  projectDir: string;
  counts: Record<string, number>;
  train: TrainResult;
  exported: ExportResult;
  /** `what`: how the held-out picture was made (a real crop, a self-blend, a mirror swap). */
  predictions: Array<{ file: string; expected: string; what: string; label?: string; probability?: number; error?: string }>;
  space: CreateSpaceResult;
  deployCommand: string;
}

const LABELS = ["Real", "Deepfake"] as const;

/** Runs every step of the lesson on the embedded face dataset and returns what each produced. */
export async function runDemo(params: RunDemoParams): Promise<DemoResult> {
  const { projectDir, signal, onProgress } = params;
  const perClass = params.perClass ?? 150;
  const heldOut = params.heldOutPerClass ?? 3;
  const sourceDir = path.join(projectDir, "demo-photos");
  await fs.mkdir(projectDir, { recursive: true });

  onProgress?.({ event: "phase", phase: "photos", message: `1/6 Building ${perClass + heldOut} real face crops and ${perClass + heldOut} same-person fakes (self-blends, mirror swaps) from photos in @vladmandic/face-api…` });
  const dataset = await buildFaceDataset({ outDir: sourceDir, perClass: perClass + heldOut, seed: 1, fakes: params.fakes ?? "same-person", onProgress, signal });
  const heldOutItems = await setAside(dataset.items, sourceDir, perClass);

  if (!(await exists(path.join(projectDir, CONFIG_FILE_NAME)))) {
    // The pictures are face crops already (framed like the studio's): pool over the inner face and measure its blending.
    // The old other-person recipe (check's tests use it) keeps the old features: there the cue is identity, not blending.
    const features = (params.fakes ?? "same-person") === "same-person" ? { facePooling: true, blendStatistics: true } : {};
    await initProject({ projectDir, config: parseProjectConfig({ categories: LABELS.map((label) => ({ label })), train: features }) });
  }
  const config = await loadProjectConfig(projectDir);
  const notes = new Map(dataset.items.map((item) => [item.file, item]));
  const counts: Record<string, number> = {};
  onProgress?.({ event: "phase", phase: "import", message: "2/6 Importing them through the verify/resize/dedupe pipeline (provenance in data/manifest.jsonl)…" });
  for (const label of LABELS) {
    const report = await importFolder({
      projectDir,
      config,
      folder: path.join(sourceDir, label),
      label,
      describe: (file) => describeItem(notes.get(file)),
      onProgress,
      signal,
    });
    counts[label] = report.categories[0].total;
  }
  throwIfAborted(signal, "demo");
  await rememberDemoFaces(projectDir, config, dataset.items);

  onProgress?.({ event: "phase", phase: "backbone", message: "3/6 Training on the offline backbone (the MobileNetV2 shipped in the nsfwjs package)…" });
  const backbone = await writeOfflineBackbone({ cacheDir: params.cacheDir ?? defaultCacheDir() });
  const trained = await train({ projectDir, config, backbone, epochs: params.epochs, onProgress, signal, onEpoch: params.onEpoch });

  onProgress?.({ event: "phase", phase: "export", message: "4/6 Exporting model.onnx + labels + preprocessing + model card…" });
  const exported = await exportModel({ projectDir, config, runId: trained.runId, onProgress, signal });

  onProgress?.({ event: "phase", phase: "predict", message: `5/6 Predicting ${heldOutItems.length} held-out images with the exported model…` });
  const results = await predict({ modelDir: exported.outDir, inputs: heldOutItems.map((item) => item.file), signal });
  const predictions = results.map((result, index) => ({
    file: path.relative(projectDir, result.file),
    expected: heldOutItems[index].label,
    what: describeKind(heldOutItems[index]),
    ...("error" in result ? { error: result.error } : { label: result.label, probability: result.probabilities[result.label] }),
  }));

  onProgress?.({ event: "phase", phase: "space", message: "6/6 Scaffolding a static Hugging Face Space…" });
  const space = await createSpace({ projectDir, exportDir: exported.outDir, sdk: "static", title: "Deepfake Detector (demo)", onProgress, signal });
  const deployCommand = `npx deepfake-studio deploy -C ${JSON.stringify(projectDir)} --space <your-hf-username>/deepfake-detector-demo`;
  return { projectDir, counts, train: trained, exported, predictions, space, deployCommand };
}

/** Moves the last images of each class out of the import folders, so predict sees pictures the model never saw. */
async function setAside(items: FaceDatasetItem[], sourceDir: string, keep: number): Promise<FaceDatasetItem[]> {
  const heldOut: FaceDatasetItem[] = [];
  for (const label of LABELS) {
    const ofLabel = items.filter((item) => item.label === label);
    const target = path.join(sourceDir, "held-out", label);
    await fs.mkdir(target, { recursive: true });
    for (const item of ofLabel.slice(keep)) {
      const moved = path.join(target, path.basename(item.file));
      await fs.rename(item.file, moved);
      heldOut.push({ ...item, file: moved });
    }
  }
  return heldOut;
}

/** "real crop", "self-blend" or "mirror swap" of a held-out picture, for the closing table. */
function describeKind(item: FaceDatasetItem): string {
  if (item.fake?.kind === "self-blend") return "same-person self-blend";
  if (item.fake?.kind === "same-person-swap") return "same-person mirror swap";
  return item.label === "Real" ? "real face crop" : "face swap";
}

/**
 * Tells synthesis and the blending statistics where the face of every imported crop is (the demo drew them), so
 * training needs no face detection; import re-encodes but never resizes these crops, so the landmarks still hold.
 */
async function rememberDemoFaces(projectDir: string, config: ProjectConfig, items: readonly FaceDatasetItem[]): Promise<void> {
  const byPath = new Map(items.map((item) => [item.file, item]));
  for (const record of await readManifest(resolveDataDir(projectDir, config))) {
    const item = record.originalPath === undefined ? undefined : byPath.get(record.originalPath);
    if (item?.landmarks && record.face === undefined) await rememberFace({ projectDir, sha256: record.sha256, landmarks: item.landmarks });
  }
}

function describeItem(item: FaceDatasetItem | undefined): { title?: string; pageUrl?: string } | undefined {
  if (!item) return undefined;
  return { title: item.note, pageUrl: `npm:${item.source}` };
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}
