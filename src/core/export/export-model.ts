/**
 * `export`: turns a training run into a portable folder (model.onnx + labels.json + preprocess.json + README.md +
 * metrics.json, and the .deepfake-studio-export.json marker that lets the next export replace it). The folder is
 * assembled next to its destination, checked (it must load through predict's own loader and agree with the tfjs
 * model it came from), and only then swapped in; the old one becomes `<out>.previous`. A failed export leaves the
 * existing export exactly as it was; a killed one's staging folder is removed by the next export.
 */
import { summariseDataSources, type DataSources } from "../dataset/summarise-data-sources";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { extractFeaturesTfjs } from "../backbone/extract-features-tfjs";
import { camTfjs } from "../cam/cam-tfjs";
import type { LoadedBackbone } from "../backbone/load-backbone";
import { faceRegions } from "../face-features/face-regions";
import { concatRows } from "../shared/concat-rows";
import { convertLayersModel } from "../onnx/convert-layers-model";
import { createOnnxSession, runOnnx } from "../onnx/onnx-session";
import { decodeOnnxModel } from "../onnx/decode-onnx-model";
import { onnxModelType } from "../onnx/onnx-schema";
import { loadExport, type LoadedExport } from "../predict/load-export";
import { InvalidExportError } from "../predict/predict-errors";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { describeFsError, StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { removeStaleTemps, tempName } from "../shared/stale-temps";
import { meanOfViews, renderTestTimeView } from "../shared/test-time-views";
import type { RunHead } from "../train/run-files";
import { checkExportDestination } from "./check-export-destination";
import { ExportError } from "./export-errors";
import { chooseDecision, type DecisionRequest } from "./choose-decision";
import { EXPORT_FILES, EXPORT_MARKER, EXPORT_METADATA_KEYS, type DecisionThreshold, type ExportMarker } from "./export-format";
import { findRun, RUNS_FOLDER_NAME, type FoundRun } from "./find-run";
import { loadRunBackbone } from "./load-run-backbone";
import { readRun, readTorchRun, runEngine } from "./read-run";
import { renderModelCard } from "./render-model-card";
import { replaceFolder } from "./replace-folder";

/** Parameters of exportModel. */
export interface ExportModelParams extends OperationOptions {
  projectDir: string;
  config: ProjectConfig;
  /** A run folder name under runs/; default: the latest. */
  runId?: string;
  /** Destination folder (relative paths are resolved against projectDir); default `<projectDir>/export`. */
  outDir?: string;
  /** Cache folder and proxy settings; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** A decision threshold for the fake label (--threshold, or --max-fpr read off an evaluation); none: the arg-max decides. */
  decision?: DecisionRequest;
}

/** What was exported and how it checked out. */
export interface ExportResult {
  runId: string;
  outDir: string;
  /** Where the export that was replaced now lives, if there was one. */
  previousDir?: string;
  files: string[];
  labels: string[];
  backbone: { id: string; kind: string; modelJsonSha256: string };
  /** ONNX Runtime vs the tfjs model on synthetic probe images, at export time (features: relative to their largest value). */
  /** `against`: what model.onnx was compared with (the frozen trainer's tfjs backbone + head, or a fine-tuned run's own ONNX). */
  verification: { images: number; maxProbabilityDifference: number; maxFeatureDifference: number; against: "tfjs" | "fine-tuned" };
  modelBytes: number;
  /** The decision threshold recorded in preprocess.json, when one was chosen. */
  decision?: DecisionThreshold;
  seconds: number;
}

/** Default destination folder name inside the project. */
export const DEFAULT_EXPORT_FOLDER = "export";

/** Conversion bugs show up as differences of 1e-2 and more; float32 rounding stays near 1e-6. */
const VERIFY_TOLERANCE = 1e-3;
const PROBE_IMAGES = 3;

/** Exports a run (default: the latest) to `<projectDir>/export` (or outDir), atomically. */
export async function exportModel(params: ExportModelParams): Promise<ExportResult> {
  const started = Date.now();
  const { signal, onProgress } = params;
  const outDir = path.resolve(params.projectDir, params.outDir ?? DEFAULT_EXPORT_FOLDER);
  const project = path.resolve(params.projectDir);
  await checkExportDestination({
    outDir,
    projectDir: project,
    protectedDirs: [path.join(project, RUNS_FOLDER_NAME), resolveDataDir(project, params.config)],
    defaultDir: path.join(project, DEFAULT_EXPORT_FOLDER),
  });
  // The staging folder a killed export left beside the destination (the size of a model) goes at the next start.
  const stagingPrefix = `.${path.basename(outDir)}.tmp-`;
  await removeStaleTemps(path.dirname(outDir), stagingPrefix);

  const run = await findRun({ projectDir: params.projectDir, runId: params.runId });
  onProgress?.({ event: "phase", phase: "export", message: `Exporting run ${run.runId}` });
  if ((await runEngine(run.runDir)) === "torch") return exportTorchRun(params, run, outDir, started);
  const { head, metrics } = await readRun({ runDir: run.runDir });
  warnAboutLabels(head, params);
  const decision = await chooseDecision({ request: params.decision ?? {}, labels: head.labels, runId: run.runId, projectDir: params.projectDir, heldOut: metrics.heldOutThreshold });
  throwIfAborted(signal, "export");

  const backbone = await loadRunBackbone({ head, env: params.env, signal, onProgress });
  const staging = path.join(path.dirname(outDir), tempName(stagingPrefix));
  try {
    onProgress?.({ event: "phase", phase: "convert", message: "Converting backbone + head to ONNX" });
    const exportedAt = new Date().toISOString();
    const modelBytes = await convertLayersModel({
      model: backbone.model,
      outputs: backbone.spec.taps.map((tap) => ({ layerName: tap.layer, pooling: [...tap.pooling] })),
      input: { height: head.preprocess.size[0], width: head.preprocess.size[1], ...head.preprocess.scaling },
      ...(head.preprocess.faceContrast ? { faceRegions: { grid: head.preprocess.faceContrast.grid, docString: "Each face's inner-face and ring masks (preprocess.json faceContrast), computed by the runner from the face's landmarks." } } : {}),
      head: {
        mean: Float32Array.from(head.mean),
        std: Float32Array.from(head.std),
        weights: Float32Array.from(head.weights),
        bias: Float32Array.from(head.bias),
        labels: head.labels,
      },
      // Class activation maps ride along as a third output, on the taps' grid so they cost little (BENCHMARKS.md).
      cam: true,
      ...(head.preprocess.testTimeViews ? { testTimeViews: head.preprocess.testTimeViews.views } : {}),
      ...(head.preprocess.blendStatistics ? { extraFeatures: { count: head.preprocess.blendStatistics.count, docString: "The face's blending statistics (preprocess.json blendStatistics), measured by the runner inside the face's landmarks." } } : {}),
      metadata: {
        ...exportMetadata(head, run.runId, exportedAt),
        // Recorded inside the model too, so a hand-edited threshold in preprocess.json is noticed (load-export.ts).
        ...(decision ? { [EXPORT_METADATA_KEYS.decision]: JSON.stringify(decision) } : {}),
      },
    });
    throwIfAborted(signal, "export");

    await writeStaging(staging, outDir, [
      [EXPORT_FILES.model, modelBytes],
      [EXPORT_FILES.labels, json(head.labels)],
      [EXPORT_FILES.preprocess, json(decision ? { ...head.preprocess, decision } : head.preprocess)],
    ]);
    await copyInto(path.join(run.runDir, "metrics.json"), path.join(staging, EXPORT_FILES.metrics), outDir);

    onProgress?.({ event: "phase", phase: "verify", message: "Checking model.onnx against the TensorFlow.js model" });
    const verification = await verify(staging, backbone, head);
    throwIfAborted(signal, "export");

    const card = renderModelCard({ runId: run.runId, head, metrics, searches: searchesOf(params.config), verification, exportedAt, decision, dataSources: await dataSourcesOf(params) });
    const marker: ExportMarker = { generator: "deepfake-studio", kind: "export", format: 1, runId: run.runId, exportedAt };
    await writeStaging(staging, outDir, [[EXPORT_FILES.readme, Buffer.from(card)], [EXPORT_MARKER, json(marker)]]);
    const previousDir = await replaceFolder({ staging, target: outDir });
    onProgress?.({ event: "log", message: `Wrote ${outDir}${previousDir ? ` (the previous export is in ${previousDir})` : ""}` });
    return {
      runId: run.runId,
      outDir,
      previousDir,
      files: [EXPORT_FILES.model, EXPORT_FILES.labels, EXPORT_FILES.preprocess, EXPORT_FILES.readme, EXPORT_FILES.metrics],
      labels: head.labels,
      backbone: { id: head.backbone.id, kind: head.backbone.kind, modelJsonSha256: head.backbone.modelJsonSha256 },
      verification,
      modelBytes: modelBytes.byteLength,
      ...(decision ? { decision } : {}),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    backbone.dispose();
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/**
 * A PyTorch run (`train --engine torch`) already holds its model.onnx: it is checked again with predict's loader,
 * given the same metadata as a converted model, checked against the run's own file on probe images, and published.
 */
async function exportTorchRun(params: ExportModelParams, run: FoundRun, outDir: string, started: number): Promise<ExportResult> {
  const { signal, onProgress } = params;
  const { record, metrics } = await readTorchRun({ runDir: run.runDir });
  let trained: LoadedExport;
  try {
    trained = await loadExport({ modelDir: run.runDir });
  } catch (error) {
    if (!(error instanceof InvalidExportError)) throw error;
    throw new ExportError(`The run ${run.runId} cannot be exported: its model.onnx is not usable (${error.message}).`, "run-invalid",
      ["Train again (", { step: "train" }, { cliOnly: ` --engine ${record.engine}` }, ") or export another run", { cliOnly: " with --run <id>" }, { editorOnly: " (Runs view)" }, "."]);
  }
  if (JSON.stringify(trained.labels) !== JSON.stringify(record.labels)) {
    throw new ExportError(`The run ${run.runId} cannot be exported: its labels.json does not match run.json.`, "run-invalid", ["Train again (", { step: "train" }, ") or export another run", { cliOnly: " with --run <id>" }, { editorOnly: " (Runs view)" }, "."]);
  }
  const decision = await chooseDecision({ request: params.decision ?? {}, labels: record.labels, runId: run.runId, projectDir: params.projectDir });
  const exportedAt = new Date().toISOString();
  const model = decodeOnnxModel(trained.modelBytes);
  const metadata = {
    ...exportMetadata(record, run.runId, exportedAt),
    training_engine: `${record.engine === "hf-jobs" ? `hf-jobs ${record.job?.flavor ?? ""} ` : ""}torch ${record.python.torch}`,
    ...(decision ? { [EXPORT_METADATA_KEYS.decision]: JSON.stringify(decision) } : {}),
  };
  model.metadataProps = [...(model.metadataProps ?? []).filter((entry) => !((entry.key ?? "") in metadata)), ...Object.entries(metadata).map(([key, value]) => ({ key, value }))];
  const type = onnxModelType();
  const modelBytes = type.encode(type.fromObject(model)).finish();
  throwIfAborted(signal, "export");
  const staging = path.join(path.dirname(outDir), tempName(`.${path.basename(outDir)}.tmp-`));
  try {
    await writeStaging(staging, outDir, [
      [EXPORT_FILES.model, modelBytes],
      [EXPORT_FILES.labels, json(record.labels)],
      [EXPORT_FILES.preprocess, json(decision ? { ...record.preprocess, decision } : record.preprocess)],
    ]);
    await copyInto(path.join(run.runDir, "metrics.json"), path.join(staging, EXPORT_FILES.metrics), outDir);
    onProgress?.({ event: "phase", phase: "verify", message: "Checking model.onnx against the run's model" });
    const exported = await loadExport({ modelDir: staging });
    const [height, width] = record.preprocess.size;
    const images = probeImages(PROBE_IMAGES, height, width);
    const [ours, theirs] = [await runOnProbes(exported.modelBytes, images, height, width), await runOnProbes(trained.modelBytes, images, height, width)];
    const scale = (theirs.features ?? new Float32Array()).reduce((max, value) => Math.max(max, Math.abs(value)), 0) || 1;
    const verification = {
      images: PROBE_IMAGES,
      against: "fine-tuned" as const,
      maxProbabilityDifference: maxDifference(ours.probabilities, theirs.probabilities ?? []),
      maxFeatureDifference: maxDifference(ours.features, theirs.features ?? []) / scale,
    };
    if (!(verification.maxProbabilityDifference <= VERIFY_TOLERANCE && verification.maxFeatureDifference <= VERIFY_TOLERANCE)) {
      throw new ExportError(`The exported model.onnx disagrees with the run's own model (largest probability difference ${verification.maxProbabilityDifference}); nothing was replaced.`, "export-verify-failed", "Please report it; the previous export is unchanged.");
    }
    throwIfAborted(signal, "export");
    const featureLength = (theirs.features?.length ?? 0) / PROBE_IMAGES;
    const head: RunHead = { labels: record.labels, featureLength, mean: [], std: [], weights: [], bias: [], backbone: record.backbone, preprocess: record.preprocess };
    warnAboutLabels(head, params);
    const torch = { torch: record.python.torch, torchvision: record.python.torchvision, device: record.python.device, ...record.settings, ...(record.engine === "hf-jobs" ? { hfJobsFlavor: record.job?.flavor ?? "unknown" } : {}) };
    const card = renderModelCard({ runId: run.runId, head, metrics, searches: searchesOf(params.config), verification, exportedAt, torch, decision, dataSources: await dataSourcesOf(params) });
    const marker: ExportMarker = { generator: "deepfake-studio", kind: "export", format: 1, runId: run.runId, exportedAt };
    await writeStaging(staging, outDir, [[EXPORT_FILES.readme, Buffer.from(card)], [EXPORT_MARKER, json(marker)]]);
    const previousDir = await replaceFolder({ staging, target: outDir });
    onProgress?.({ event: "log", message: `Wrote ${outDir}${previousDir ? ` (the previous export is in ${previousDir})` : ""}` });
    return {
      runId: run.runId, outDir, previousDir,
      files: [EXPORT_FILES.model, EXPORT_FILES.labels, EXPORT_FILES.preprocess, EXPORT_FILES.readme, EXPORT_FILES.metrics],
      labels: record.labels,
      backbone: { id: record.backbone.id, kind: record.backbone.kind, modelJsonSha256: record.backbone.modelJsonSha256 },
      verification, modelBytes: modelBytes.byteLength, seconds: (Date.now() - started) / 1000,
      ...(decision ? { decision } : {}),
    };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** The metadata_props every export's model.onnx carries (predict checks labels and preprocess against the side files). */
function exportMetadata(run: Pick<RunHead, "labels" | "preprocess" | "backbone">, runId: string, exportedAt: string): Record<string, string> {
  return {
    [EXPORT_METADATA_KEYS.labels]: JSON.stringify(run.labels),
    [EXPORT_METADATA_KEYS.preprocess]: JSON.stringify(run.preprocess),
    [EXPORT_METADATA_KEYS.backboneId]: run.backbone.id,
    [EXPORT_METADATA_KEYS.backboneKind]: run.backbone.kind,
    [EXPORT_METADATA_KEYS.backboneSha256]: run.backbone.modelJsonSha256,
    [EXPORT_METADATA_KEYS.runId]: runId,
    [EXPORT_METADATA_KEYS.exportedAt]: exportedAt,
  };
}

/** Both outputs of a model on the probe images. */
async function runOnProbes(modelBytes: Uint8Array, images: Float32Array, height: number, width: number): Promise<{ probabilities?: Float32Array; features?: Float32Array }> {
  const session = await createOnnxSession(modelBytes);
  try {
    return await runOnnx(session, images, PROBE_IMAGES, height, width);
  } finally {
    await session.release();
  }
}

/** The project's categories can change after training; the export always follows the run, but say so. */
function warnAboutLabels(head: RunHead, params: ExportModelParams): void {
  const configured = params.config.categories.map((category) => category.label);
  if (JSON.stringify([...configured].sort()) !== JSON.stringify([...head.labels].sort())) {
    params.onProgress?.({ event: "warning", message: `The run was trained on ${JSON.stringify(head.labels)} but the project now lists ${JSON.stringify(configured)}; exporting the run's labels. Train again to use the new categories.` });
  }
}

/** The data folder's sources and licences for the model card; a data folder that cannot be read leaves them out. */
async function dataSourcesOf(params: ExportModelParams): Promise<DataSources | undefined> {
  try {
    return await summariseDataSources(resolveDataDir(params.projectDir, params.config));
  } catch {
    return undefined;
  }
}

/** Search query per label, for the model card. */
function searchesOf(config: ProjectConfig): Record<string, string | undefined> {
  return Object.fromEntries(config.categories.map((category) => [category.label, category.search]));
}

/**
 * Loads the staged folder through predict's loader (schemas, signature, metadata) and compares ONNX Runtime
 * with the tfjs backbone + the head's math on synthetic probe images; throws when they disagree.
 */
async function verify(staging: string, backbone: LoadedBackbone, head: RunHead): Promise<ExportResult["verification"]> {
  const exported = await loadExport({ modelDir: staging });
  const [height, width] = head.preprocess.size;
  const images = probeImages(PROBE_IMAGES, height, width);
  const blendStatistics = probeBlendStatistics(head);
  const faceRegions = probeFaceRegions(head);
  const session = await createOnnxSession(exported.modelBytes);
  let onnx: { probabilities?: Float32Array; features?: Float32Array; cam?: Float32Array };
  try {
    onnx = await runOnnx(session, images, PROBE_IMAGES, height, width, { blendStatistics, faceRegions });
  } finally {
    await session.release();
  }
  const features = withExtraColumns(await extractFeaturesTfjs(backbone, { data: images, count: PROBE_IMAGES, regions: faceRegions }), blendStatistics, PROBE_IMAGES);
  // Probabilities can saturate (0 or 1 hides any error), so the features are compared too, relative to their scale.
  const maxProbabilityDifference = maxDifference(onnx.probabilities, await referenceProbabilities(backbone, head, images, features, blendStatistics));
  const scale = features.reduce((max, value) => Math.max(max, Math.abs(value)), 0) || 1;
  const maxFeatureDifference = maxDifference(onnx.features, features) / scale;
  const maxCamDifference = await camDifference(backbone, head, images, onnx.cam);
  if (!(maxProbabilityDifference <= VERIFY_TOLERANCE && maxFeatureDifference <= VERIFY_TOLERANCE && maxCamDifference <= VERIFY_TOLERANCE)) {
    throw new ExportError(
      `The ONNX model disagrees with the TensorFlow.js model it was converted from (largest probability difference ${maxProbabilityDifference}, relative feature difference ${maxFeatureDifference}, relative activation-map difference ${maxCamDifference}); nothing was replaced.`,
      "export-verify-failed", "This is a bug in the exporter for this backbone; please report it with the backbone id. The previous export is unchanged.");
  }
  return { images: PROBE_IMAGES, maxProbabilityDifference, maxFeatureDifference, against: "tfjs" };
}

/** The graph's activation maps against the TypeScript ones from the tfjs activations, relative to their largest value (0 when the graph has none). */
async function camDifference(backbone: LoadedBackbone, head: RunHead, images: Float32Array, cam: Float32Array | undefined): Promise<number> {
  if (!cam) return 0;
  const reference = await camTfjs(backbone, { ...head, classes: head.labels.length }, images, PROBE_IMAGES);
  const scale = reference.reduce((max, value) => Math.max(max, Math.abs(value)), 0) || 1;
  return maxDifference(cam, reference) / scale;
}

/** Made-up blending statistics for the probe images (the training average, varied per image), so the second input's wiring is checked too. */
function probeBlendStatistics(head: RunHead): Float32Array | undefined {
  const record = head.preprocess.blendStatistics;
  if (!record) return undefined;
  return Float32Array.from({ length: PROBE_IMAGES * record.count }, (_, i) => record.missing[i % record.count] + 0.25 * ((i % 7) - 3));
}

/** Region masks for the probe images: a face where the crop recipe puts it, moved a little per image. */
function probeFaceRegions(head: RunHead): Float32Array | undefined {
  const record = head.preprocess.faceContrast;
  if (!record) return undefined;
  const [height, width] = head.preprocess.size;
  const masks = Array.from({ length: PROBE_IMAGES }, (_, n) => {
    const shift = (n - PROBE_IMAGES / 2) * 4;
    const landmarks = Array.from({ length: 68 }, (_, k) => ({ x: width * (0.3 + 0.4 * ((k * 7) % 17) / 16) + shift, y: height * (0.3 + 0.5 * ((k * 5) % 13) / 12) }));
    return faceRegions({ landmarks, width, height, grid: record.grid });
  });
  return concatRows(masks);
}

/** Each image's features followed by its extra numbers. */
function withExtraColumns(features: Float32Array, extra: Float32Array | undefined, count: number): Float32Array {
  if (!extra) return features;
  const [f, k] = [features.length / count, extra.length / count];
  const out = new Float32Array(count * (f + k));
  for (let n = 0; n < count; n++) {
    out.set(features.subarray(n * f, (n + 1) * f), n * (f + k));
    out.set(extra.subarray(n * k, (n + 1) * k), n * (f + k) + f);
  }
  return out;
}

/** Largest absolute difference; a missing output, a wrong length or a NaN count as infinite. */
function maxDifference(actual: Float32Array | undefined, expected: ArrayLike<number>): number {
  if (!actual || actual.length !== expected.length) return Infinity;
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    const difference = Math.abs(actual[i] - expected[i]);
    if (Number.isNaN(difference)) return Infinity;
    max = Math.max(max, difference);
  }
  return max;
}

/** The head's math in float64: softmax(((x - mean) / std) · W + b), per image. */
function headProbabilities(head: RunHead, features: Float32Array): Float64Array {
  return Float64Array.from(headLogProbabilities(head, features), Math.exp);
}

/** The head's log-probabilities (log-softmax of its logits) for each row of features. */
function headLogProbabilities(head: RunHead, features: Float32Array): Float64Array {
  const featureCount = head.featureLength;
  const classes = head.labels.length;
  const count = features.length / featureCount;
  const out = new Float64Array(count * classes);
  for (let n = 0; n < count; n++) {
    const logits = Array.from(head.bias);
    for (let f = 0; f < featureCount; f++) {
      const z = (features[n * featureCount + f] - head.mean[f]) / head.std[f];
      for (let c = 0; c < classes; c++) logits[c] += z * head.weights[f * classes + c];
    }
    const top = Math.max(...logits);
    const logSum = top + Math.log(logits.reduce((sum, logit) => sum + Math.exp(logit - top), 0));
    logits.forEach((logit, c) => (out[n * classes + c] = logit - logSum));
  }
  return out;
}

/**
 * What the exported graph should give the probes: the head on the tfjs features, averaged over the test-time views
 * (made in TypeScript, as training made them for validation) when the run scores pictures that way.
 */
async function referenceProbabilities(backbone: LoadedBackbone, head: RunHead, images: Float32Array, plainFeatures: Float32Array, blendStatistics: Float32Array | undefined): Promise<Float64Array> {
  const views = head.preprocess.testTimeViews?.views;
  if (!views || views.length < 2) return headProbabilities(head, plainFeatures);
  const [height, width] = head.preprocess.size;
  const perImage = height * width * 3;
  const classes = head.labels.length;
  const perView = await Promise.all(views.map(async (view) => {
    // The plain view's features are the ones already extracted.
    if (!view.flip && view.zoom === 1) return headLogProbabilities(head, plainFeatures);
    const rendered = new Float32Array(images.length);
    for (let n = 0; n < PROBE_IMAGES; n++) rendered.set(renderTestTimeView({ input: images.subarray(n * perImage, (n + 1) * perImage), height, width, view }), n * perImage);
    return headLogProbabilities(head, withExtraColumns(await extractFeaturesTfjs(backbone, { data: rendered, count: PROBE_IMAGES }), blendStatistics, PROBE_IMAGES));
  }));
  const out = new Float64Array(PROBE_IMAGES * classes);
  for (let n = 0; n < PROBE_IMAGES; n++) {
    const mean = meanOfViews(perView.map((logP) => logP.subarray(n * classes, (n + 1) * classes)));
    mean.forEach((value, c) => (out[n * classes + c] = Math.exp(value)));
  }
  return out;
}

/** Deterministic photo-like probes (gradients, blocks, noise) in 0..255, NHWC. */
function probeImages(count: number, height: number, width: number): Float32Array {
  const data = new Float32Array(count * height * width * 3);
  let state = 12345;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const at = ((n * height + y) * width + x) * 3;
        const block = ((x >> (3 + n)) + (y >> (3 + n))) % 2;
        data[at] = Math.min(255, Math.round((255 * x) / width * (n + 1) / count + 40 * block + 20 * random()));
        data[at + 1] = Math.min(255, Math.round((255 * y) / height + 30 * random()));
        data[at + 2] = Math.min(255, Math.round(128 + 100 * Math.sin((x + y * (n + 1)) / 9) * (block ? 1 : 0.5)));
      }
    }
  }
  return data;
}

/** Writes files into the staging folder (created on first use). */
async function writeStaging(staging: string, outDir: string, files: Array<[string, Uint8Array]>): Promise<void> {
  try {
    await fs.mkdir(staging, { recursive: true });
    for (const [name, data] of files) await fs.writeFile(path.join(staging, name), data);
  } catch (error) {
    throw describeStagingError(error, outDir);
  }
}

/** Copies a run file into the staging folder as it is. */
async function copyInto(from: string, to: string, outDir: string): Promise<void> {
  try {
    await fs.copyFile(from, to);
  } catch (error) {
    throw describeStagingError(error, outDir);
  }
}

/** A full disk or read-only folder, named by the destination (the staging folder is an internal detail, and gone). */
function describeStagingError(error: unknown, outDir: string): Error {
  const described = describeFsError(error, outDir);
  if (!(described instanceof StudioError)) return described;
  if (described.code === "disk-full") {
    return new StudioError(`The disk is full, so the export to ${outDir} could not be written; nothing was replaced.`, "disk-full",
      "Free some space (a model needs about as much as model.onnx in the previous export) and run export again; the previous export is unchanged.");
  }
  return new StudioError(`${described.message} Nothing was replaced.`, described.code, described.hint);
}

/** Pretty JSON with a final newline. */
function json(value: unknown): Uint8Array {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
}
