/**
 * What the engines that fine-tune with the generated PyTorch script share ("torch": the user's Python; "hf-jobs": a
 * Hugging Face GPU Job): fastai's fine_tune(epochs) on the whole network. The studio lists and splits the pictures
 * (the same split as the frozen trainer), checks every picture decodes, writes train.py into runs/.tmp-<id>/, lets
 * the engine run it (it must leave model.onnx there and report the epochs), and then trusts nothing it said:
 * model.onnx must pass predict's own loader, and the error rate, confusion matrix and per-picture losses are
 * recomputed here with ONNX Runtime on the studio's decoding.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { materialise } from "../../backbone/load-backbone";
import { resolveBackbone, type BackboneSpec } from "../../backbone/resolve-backbone";
import { EXPORT_FILES } from "../../export/export-format";
import { faceCropSettings } from "../../face-crop/face-crop-settings";
import { createOnnxSession, runOnnx } from "../../onnx/onnx-session";
import { loadExport } from "../../predict/load-export";
import { InvalidExportError } from "../../predict/predict-errors";
import { resolveDataDir } from "../../project/project-config";
import { describeFsError, throwIfAborted } from "../../shared/errors";
import { findTemplateFile } from "../../shared/find-template";
import { auditTrainingPictures } from "../audit-training-pictures";
import { decodeTrainingImage, UnreadableImageError } from "../decode-training-image";
import type { TrainingImage } from "../../dataset/list-training-images";
import { newRunId } from "../new-run-id";
import { confusionOf } from "../confusion";
import { checkReadable, chooseBackbone, listAndSplit } from "../prepare-training-data";
import type { EpochRecord, Preprocess, RunBackbone, RunMetrics, RunPrediction } from "../run-files";
import type { TrainParams, TrainResult } from "../train";
import { TrainSettingsError } from "../train-errors";
import { createRunTemp, finishRun } from "../write-run";
import type { TorchPython } from "./torch/find-torch-python";
import { TorchModelRejectedError, TorchScriptError } from "./torch/torch-errors";
import { DEFAULT_TORCH_BACKBONE, TORCH_BACKBONE_CHOICES, TORCH_BACKBONE_TITLES, TORCH_BACKBONES, type TorchBackboneName } from "./torch-backbone-names";

/** The script's file name in the run folder, and its template under templates/. */
export const TORCH_SCRIPT = "train.py";
export const TORCH_CONFIG = "train-config.json";
export const TORCH_LOG = "train.log";
const TEMPLATE = "torch/train_torch.py";
/** fastai fine_tune's freeze_epochs. */
const FREEZE_EPOCHS = 1;
const INPUT_SIZE = 224;
/** Pictures per ONNX Runtime call when the studio re-checks the model. */
const EVAL_BATCH = 16;
/** Lines of the script's stderr quoted when it fails. */
export const LAST_LINES = 12;
/** The Keras MobileNetV2 (alpha 1.0) backbones whose weights train.py maps onto torchvision's MobileNetV2. */
const KNOWN_MOBILENET_V2 = /^(nsfwjs-mobilenet_v2|mobilenet_v2_1\.00_224)$/;
/** What torchvision's ImageNet weights expect after x / 255 (fastai's imagenet_stats); train.py applies it in-graph. */
const IMAGENET_NORMALIZE = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** train-config.json: what train.py reads (file paths absolute here; an engine may rewrite them for its machine). */
export interface ScriptConfig {
  labels: string[];
  size: [number, number];
  scaling: Preprocess["scaling"];
  /** The network train.py builds: mobilenet_v2 from `backbone.modelJson`, the others from torchvision's ImageNet weights. */
  architecture: TorchBackboneName;
  /** The studio's Keras MobileNetV2 (architecture mobilenet_v2 only). */
  backbone?: { id: string; modelJson: string };
  train: Array<{ file: string; label: string }>;
  valid: Array<{ file: string; label: string }>;
  freezeEpochs: number;
  epochs: number;
  learningRate: number;
  batchSize: number;
  weightDecay: number;
  seed: number;
}

/** One run of train.py as an engine receives it: train.py is already in `folder`; model.onnx must end up there. */
export interface ScriptJob {
  params: TrainParams;
  runId: string;
  folder: string;
  config: ScriptConfig;
  /** Frozen + unfrozen epochs the script must report. */
  expectedEpochs: number;
}

/** The `{"weights": …}` line of train.py: the ImageNet weights a torchvision network started from. */
export interface ReportedWeights {
  architecture: string;
  url: string;
  sha256: string;
}

/** What an engine reports back; the studio checks model.onnx itself. */
export interface ScriptOutcome {
  epochs: EpochRecord[];
  /** Reported by train.py for a torchvision network. */
  weights?: ReportedWeights;
  /** The PyTorch that trained (python: the local interpreter; absent for a remote machine). */
  python: Omit<TorchPython, "python"> & { python?: string };
  /** Engine-specific facts for run.json (the Hugging Face Job, its repositories). */
  details?: Record<string, unknown>;
}

/** An engine that runs train.py somewhere: the user's Python, a Hugging Face Job. */
export interface ScriptEngine {
  engine: "torch" | "hf-jobs";
  /** Where it trains, for the phase message ("with /usr/bin/python3", "as a Hugging Face Job on t4-small"). */
  where: string;
  run(job: ScriptJob): Promise<ScriptOutcome>;
}

/** runs/<id>/run.json of a fine-tuned run: what trained it, with which settings, from which weights. */
export interface TorchRunRecord {
  runId: string;
  createdAt: string;
  engine: ScriptEngine["engine"];
  dataDir: string;
  settings: { freezeEpochs: number; epochs: number; learningRate: number; batchSize: number; weightDecay: number; seed: number; validPct: number; architecture: TorchBackboneName };
  labels: string[];
  backbone: RunBackbone & { description: string };
  preprocess: Preprocess;
  python: ScriptOutcome["python"];
  /** Engine "hf-jobs": the Job and the repositories it used. */
  job?: Record<string, unknown>;
  /** The script's own last-epoch error rate, next to the studio's recomputation (metrics.errorRate). */
  scriptErrorRate: number;
  /** Files of the run folder that reproduce it: `python3 train.py train --config train-config.json --out .`. */
  script: string;
  unreadable: Array<{ file: string; reason: string }>;
  warnings: string[];
  node: string;
}

/** Fine-tunes the whole network with train.py run by `engine`, and writes runs/<id>/ (model.onnx + the usual JSON files). */
export async function fineTuneWithScript(params: TrainParams, engine: ScriptEngine): Promise<TrainResult> {
  const started = performance.now();
  const { config, signal, onProgress } = params;
  const settings = resolveTorchSettings(params);
  const runId = newRunId();
  const createdAt = new Date().toISOString();
  const architecture = chooseTorchBackbone(params);
  const warnings: string[] = [];
  const start = architecture === "mobilenet_v2" ? await studioBackbone(params) : torchvisionStart(architecture, params, warnings);

  const labels = config.categories.map((category) => category.label);
  const dataDir = resolveDataDir(params.projectDir, config);
  onProgress?.({ event: "phase", phase: "list", message: `Listing images in ${dataDir}` });
  const { listed, split } = await listAndSplit({ config, labels, dataDir });
  const isValid = new Set(split.valid);
  const preprocess: Preprocess = {
    size: [INPUT_SIZE, INPUT_SIZE], resize: "squish", kernel: "linear", channels: "RGB", range: [0, 255], layout: "NHWC", scaling: { ...start.scaling },
    ...(start.normalize ? { normalize: start.normalize } : {}),
    ...(config.faceCrop ? { faceCrop: faceCropSettings(config) } : {}),
  };
  const decodeStarted = performance.now();
  const { items, unreadable } = await checkPictures(listed, isValid, preprocess, params);
  const counts = checkReadable(labels, items, dataDir, unreadable);
  const decodeSeconds = (performance.now() - decodeStarted) / 1000;
  for (const label of labels) {
    if (counts.valid[label] === 0) warnings.push(`No validation image of "${label}" in this split; the error rate does not cover it. Add images or change train.seed.`);
  }
  for (const warning of warnings) onProgress?.({ event: "warning", message: warning });
  // The same shortcut audit as the frozen trainer: fine-tuning learns a shortcut in the pictures just as well.
  const audit = await auditTrainingPictures({ ...params, labels, fakeLabel: params.config.fakeLabel, pictures: items, seed: settings.seed });

  const run = await createRunTemp({ projectDir: params.projectDir, runId });
  try {
    const scriptConfig: ScriptConfig = {
      labels, size: preprocess.size, scaling: preprocess.scaling, architecture,
      ...(start.backbone && start.modelJson ? { backbone: { id: start.backbone.id, modelJson: start.modelJson } } : {}),
      train: items.filter((item) => item.split === "train").map((item) => ({ file: item.file, label: item.label })),
      valid: items.filter((item) => item.split === "valid").map((item) => ({ file: item.file, label: item.label })),
      freezeEpochs: FREEZE_EPOCHS, epochs: settings.epochs, learningRate: settings.learningRate, batchSize: settings.batchSize, weightDecay: settings.weightDecay, seed: settings.seed,
    };
    await writeFiles(run.temp, [[TORCH_SCRIPT, await fs.readFile(findTemplateFile(TEMPLATE))]]);
    const trainStarted = performance.now();
    onProgress?.({ event: "phase", phase: "head", message: `Fine-tuning ${TORCH_BACKBONE_TITLES[architecture]} with PyTorch ${engine.where}: ${FREEZE_EPOCHS} frozen + ${settings.epochs} unfrozen epoch(s), lr ${settings.learningRate}` });
    const outcome = await engine.run({ params, runId, folder: run.temp, config: scriptConfig, expectedEpochs: settings.epochs + FREEZE_EPOCHS });
    const epochs = outcome.epochs;
    const backbone = start.backbone ?? startedFrom(architecture, outcome.weights);
    const trainSeconds = (performance.now() - trainStarted) / 1000;
    onProgress?.({ event: "phase", phase: "verify", message: "Checking the model the script wrote (ONNX Runtime on every picture)" });
    await writeFiles(run.temp, [
      [EXPORT_FILES.labels, Buffer.from(`${JSON.stringify(labels, null, 2)}\n`)],
      [EXPORT_FILES.preprocess, Buffer.from(`${JSON.stringify(preprocess, null, 2)}\n`)],
    ]);
    const predictions = await predictWithModel(run.temp, items, labels, preprocess, params);
    const confusion = confusionOf(labels, predictions);
    const validCount = predictions.filter((prediction) => prediction.split === "valid").length;
    const errorRate = validCount === 0 ? 0 : predictions.filter((prediction) => prediction.split === "valid" && prediction.predicted !== prediction.label).length / validCount;
    const scriptErrorRate = epochs[epochs.length - 1].errorRate;
    if (Math.abs(scriptErrorRate - errorRate) * validCount > Math.max(1, 0.05 * validCount)) {
      const warning = `The script measured an error rate of ${scriptErrorRate.toFixed(4)} but the exported model gives ${errorRate.toFixed(4)} on the studio's own decoding of the validation pictures; the studio's number is kept.`;
      warnings.push(warning);
      onProgress?.({ event: "warning", message: warning });
    }

    // No keptEpoch: fine_tune keeps the last epoch's weights (the field's absence means exactly that).
    const metrics: RunMetrics = {
      runId, createdAt, seed: settings.seed, validPct: config.train.validPct, epochs, errorRate, confusion, counts,
      phases: { decode: decodeSeconds, features: 0, head: trainSeconds, total: (performance.now() - started) / 1000 },
      unreadable: unreadable.map((entry) => entry.file),
      ...(audit ? { audit } : {}),
      // Said in the run rather than left absent, which readers take for a run older than the check.
      sameIdentityBlends: { fakeLabel: null, scored: 0, flagged: 0, share: null, note: "fine-tuned runs are not yet scored on self-blends of their validation pictures" },
    };
    const record: TorchRunRecord = {
      runId, createdAt, engine: engine.engine, dataDir,
      settings: { freezeEpochs: FREEZE_EPOCHS, ...settings, validPct: config.train.validPct, architecture },
      labels, backbone, preprocess, python: outcome.python, ...(outcome.details ? { job: outcome.details } : {}), scriptErrorRate,
      script: `${TORCH_SCRIPT} train --config ${TORCH_CONFIG} --out .`,
      unreadable, warnings, node: process.version,
    };
    throwIfAborted(signal, "training");
    onProgress?.({ event: "phase", phase: "write", message: `Writing run ${runId}` });
    const runDir = await finishRun({ ...run, files: { "metrics.json": metrics, "predictions.json": predictions, "run.json": record }, signal });
    return { runId, runDir, metrics, featureCache: { hits: 0, computed: 0 } };
  } catch (error) {
    await fs.rm(run.temp, { recursive: true, force: true });
    throw error;
  }
}

/** Epochs, learning rate and the rest, with the call's overrides, checked. */
function resolveTorchSettings(params: TrainParams): { epochs: number; learningRate: number; batchSize: number; weightDecay: number; seed: number } {
  const train = params.config.train;
  const epochs = params.epochs ?? train.fineTuneEpochs;
  const learningRate = params.learningRate ?? train.learningRate;
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 1000) {
    throw new TrainSettingsError(`epochs must be a whole number from 1 to 1000, not ${epochs}.`, ["Set train.fineTuneEpochs in deepfake-studio.json", { cliOnly: " or pass --epochs N" }, " (fastai's fine_tune(N)); 3–5 suit a fine-tune."]);
  }
  if (!(learningRate > 0 && learningRate <= 10)) {
    throw new TrainSettingsError(`The learning rate must be above 0 and at most 10, not ${learningRate}.`, "fastai's fine_tune default is 0.002.");
  }
  return { epochs, learningRate, batchSize: train.batchSize, weightDecay: train.weightDecay, seed: train.seed };
}

/** The call's --torch-backbone, else train.torchBackbone, else mobilenet_v2; an unknown name is refused with the choices. */
export function chooseTorchBackbone(params: Pick<TrainParams, "torchBackbone" | "config">): TorchBackboneName {
  const name = params.torchBackbone?.trim() || params.config.train.torchBackbone || DEFAULT_TORCH_BACKBONE;
  if ((TORCH_BACKBONES as readonly string[]).includes(name)) return name as TorchBackboneName;
  throw new TrainSettingsError(`The torch engines know no network "${name}".`,
    [`Choose ${TORCH_BACKBONE_CHOICES} (train.torchBackbone in deepfake-studio.json`, { cliOnly: ", or --torch-backbone" }, "); mobilenet_v2, the default, starts from the studio's own weights and works offline."]);
}

/** Where a fine-tune starts: the input scaling, and the studio's backbone (mobilenet_v2 only: its record and model.json). */
interface StartingPoint {
  backbone?: RunBackbone & { description: string };
  scaling: Preprocess["scaling"];
  normalize?: Preprocess["normalize"];
  modelJson?: string;
}

/** mobilenet_v2: the studio's Keras MobileNetV2 (train.backbone), materialised offline or from its URL. */
async function studioBackbone(params: TrainParams): Promise<StartingPoint> {
  const spec = resolveBackbone({ backbone: chooseBackbone(params), env: params.env });
  checkBackbone(spec);
  const modelJson = await materialise({ spec, env: params.env, fetch: params.fetch, signal: params.signal, onProgress: params.onProgress });
  return {
    modelJson, scaling: { ...spec.scaling },
    backbone: {
      id: spec.id, kind: spec.source.kind, location: spec.source.kind === "file" ? spec.source.path : spec.source.kind === "url" ? spec.source.url : spec.source.name,
      modelJsonSha256: createHash("sha256").update(await fs.readFile(modelJson)).digest("hex"),
      // The pooled input of fastai's head (max and avg of the last activation): the ONNX `features` output.
      taps: [{ layer: "out_relu", pooling: ["max", "avg"] }],
      description: spec.description,
    },
  };
}

/** A torchvision network: train.py fetches its ImageNet weights; the record is completed from what it reports. */
function torchvisionStart(architecture: Exclude<TorchBackboneName, "mobilenet_v2">, params: TrainParams, warnings: string[]): StartingPoint {
  const named = params.backbone ?? params.config.train.backbone;
  if (named) {
    const warning = `train.backbone (${named}) is not used: ${TORCH_BACKBONE_TITLES[architecture]} starts from torchvision's ImageNet weights (train.torchBackbone).`;
    warnings.push(warning);
    params.onProgress?.({ event: "warning", message: warning });
  }
  return { scaling: { scale: 1 / 255, offset: 0 }, normalize: IMAGENET_NORMALIZE };
}

/** The run's backbone record of a torchvision network, from the weights train.py reported it loaded. */
function startedFrom(architecture: TorchBackboneName, weights: ReportedWeights | undefined): RunBackbone & { description: string } {
  if (weights?.architecture !== architecture) {
    throw new TorchScriptError(`The PyTorch training script did not say which ImageNet weights it started ${architecture} from${weights ? ` (it named ${weights.architecture})` : ""}; nothing was kept.`, []);
  }
  return {
    id: `torchvision-${architecture}`, kind: "torchvision", location: weights.url, modelJsonSha256: weights.sha256,
    taps: [{ layer: architecture.startsWith("resnet") ? "layer4" : "features", pooling: ["max", "avg"] }],
    description: `${TORCH_BACKBONE_TITLES[architecture]} with torchvision's ImageNet weights (IMAGENET1K_V1), downloaded by train.py from ${weights.url}.`,
  };
}

/** The script maps Keras MobileNetV2 (alpha 1.0) weights; any other table backbone is refused up front. */
function checkBackbone(spec: BackboneSpec): void {
  if (spec.known && !KNOWN_MOBILENET_V2.test(spec.id)) {
    throw new TrainSettingsError(`The torch and hf-jobs engines start from a Keras MobileNetV2 with alpha 1.0, not from ${spec.id}.`,
      ["Set train.backbone to nsfwjs-mobilenet_v2 (offline) or mobilenet_v2_1.00_224", { cliOnly: " (or pass --backbone)" }, ", or train.engine to \"studio\" for this backbone", { cliOnly: " (--engine studio)" }, "."]);
  }
}

/** Decodes every picture once as the studio will at predict time: unreadable ones are left out and listed. */
async function checkPictures(listed: TrainingImage[], isValid: Set<number>, preprocess: Preprocess, params: TrainParams) {
  const items: Array<TrainingImage & { split: "train" | "valid"; sha256: string }> = [];
  const unreadable: Array<{ file: string; reason: string }> = [];
  params.onProgress?.({ event: "phase", phase: "decode", message: `Checking ${listed.length} pictures` });
  for (let index = 0; index < listed.length; index++) {
    throwIfAborted(params.signal, "training");
    const image = listed[index];
    const checked = await decodeProblem(image.file, preprocess);
    if ("reason" in checked) {
      unreadable.push({ file: image.relative, reason: checked.reason });
      params.onProgress?.({ event: "warning", message: `Skipped ${image.relative}: ${checked.reason}.` });
    } else {
      items.push({ ...image, split: isValid.has(index) ? "valid" : "train", sha256: checked.sha256 });
    }
  }
  return { items, unreadable };
}

/** Why a picture cannot be used, or its sha256 (the shortcut audit's cache key). */
async function decodeProblem(file: string, preprocess: Preprocess): Promise<{ reason: string } | { sha256: string }> {
  try {
    return { sha256: (await decodePicture(file, preprocess)).sha256 };
  } catch (error) {
    if (error instanceof UnreadableImageError) return { reason: error.message };
    const code = (error as NodeJS.ErrnoException).code;
    if (code) return { reason: `cannot be read (${code})` };
    throw error;
  }
}

/** The model input of one picture, NHWC 0..255, exactly as predict prepares it. */
async function decodePicture(file: string, preprocess: Preprocess): Promise<{ input: Float32Array; sha256: string }> {
  const bytes = await fs.readFile(file);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const [input] = await decodeTrainingImage({ bytes, contentSha256: sha256, preprocess: stripFaceCrop(preprocess), views: [0] });
  return { input, sha256 };
}

/** Pictures in the label folders are already face crops (gather/import cut them). */
function stripFaceCrop(preprocess: Preprocess): Preprocess {
  const { faceCrop: _ignored, ...rest } = preprocess;
  return rest;
}

/** Follows the script's output lines: epochs to onEpoch and the progress bar, the rest to the log; keeps the tail. */
export function createScriptLog(params: TrainParams, folder: string, expectedEpochs: number) {
  const epochs: EpochRecord[] = [];
  const lines: string[] = [];
  const tail: string[] = [];
  let weights: ReportedWeights | undefined;
  return {
    epochs,
    lines,
    /** The ImageNet weights train.py reported it started from (torchvision networks). */
    weights: (): ReportedWeights | undefined => weights,
    /** A line of stdout (or of a Job's log, where both streams are mixed). */
    onLine(line: string, source: string): void {
      lines.push(line);
      const reported = parseWeights(line);
      if (reported) {
        weights = reported;
        params.onProgress?.({ event: "log", message: `${source}: ${reported.architecture} starts from ${reported.url} (sha256 ${reported.sha256.slice(0, 12)}…)` });
        return;
      }
      const record = parseEpoch(line);
      if (!record) {
        tail.push(line);
        if (tail.length > 200) tail.splice(0, tail.length - LAST_LINES);
        if (line.trim()) params.onProgress?.({ event: "log", message: `${source}: ${line}` });
        return;
      }
      epochs.push(record);
      params.onEpoch?.(record);
      params.onProgress?.({ event: "progress", phase: "head", done: epochs.length, total: expectedEpochs, message: "epochs" });
      // Another run removes temp folders idle for an hour; a long fine-tune keeps its own fresh.
      void fs.utimes(folder, new Date(), new Date()).catch(() => undefined);
    },
    /** The last non-empty lines that were not epochs, for error messages. */
    lastLines(): string[] {
      return tail.filter((line) => line.trim()).slice(-LAST_LINES);
    },
    /** Writes every line to train.log in the run folder. */
    async save(): Promise<void> {
      await fs.writeFile(path.join(folder, TORCH_LOG), `${lines.join("\n")}\n`).catch(() => undefined);
    },
    /** Throws TorchScriptError unless exactly the expected epochs were reported. */
    checkEpochs(): EpochRecord[] {
      if (epochs.length !== expectedEpochs) {
        const last = this.lastLines();
        throw new TorchScriptError(`The PyTorch training script reported ${epochs.length} epoch(s) instead of ${expectedEpochs}${quote(last)}`, last);
      }
      return epochs;
    },
  };
}

/** "; its last lines:\n…" or nothing. */
export function quote(last: string[]): string {
  return last.length > 0 ? `; its last lines:\n${last.join("\n")}` : "";
}

/** Writes train-config.json into the run folder. */
export async function writeScriptConfig(folder: string, config: ScriptConfig): Promise<void> {
  await writeFiles(folder, [[TORCH_CONFIG, Buffer.from(`${JSON.stringify(config, null, 2)}\n`)]]);
}

/** One `{"weights": {"architecture", "url", "sha256", …}}` line, checked. */
function parseWeights(line: string): ReportedWeights | undefined {
  if (!line.startsWith('{"weights"')) return undefined;
  try {
    const { weights } = JSON.parse(line) as { weights?: Record<string, unknown> };
    const { architecture, url, sha256 } = weights ?? {};
    if (typeof architecture === "string" && typeof url === "string" && typeof sha256 === "string" && /^[0-9a-f]{64}$/.test(sha256)) return { architecture, url, sha256 };
  } catch {
    // Not a weights line after all: left to the log.
  }
  return undefined;
}

/** One `{"epoch", "train_loss", "valid_loss", "error_rate", "seconds"}` line, checked; other lines are not epochs. */
function parseEpoch(line: string): EpochRecord | undefined {
  if (!line.startsWith("{")) return undefined;
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const numbers = ["epoch", "train_loss", "valid_loss", "error_rate", "seconds"].map((key) => value[key]);
  if (!numbers.every((n) => typeof n === "number" && Number.isFinite(n))) return undefined;
  const [epoch, trainLoss, validLoss, errorRate, seconds] = numbers as number[];
  return { epoch, trainLoss, validLoss, errorRate, seconds };
}

/** Loads model.onnx through predict's own checks and runs it on every picture; the run's predictions.json. */
async function predictWithModel(folder: string, items: Array<TrainingImage & { split: "train" | "valid" }>, labels: string[], preprocess: Preprocess, params: TrainParams): Promise<RunPrediction[]> {
  let exported;
  try {
    exported = await loadExport({ modelDir: folder });
  } catch (error) {
    if (error instanceof InvalidExportError) throw new TorchModelRejectedError(`The model the PyTorch script wrote breaks the studio's export contract: ${error.message}`);
    throw error;
  }
  const [height, width] = preprocess.size;
  const session = await createOnnxSession(exported.modelBytes);
  const predictions: RunPrediction[] = [];
  try {
    for (let start = 0; start < items.length; start += EVAL_BATCH) {
      throwIfAborted(params.signal, "training");
      const batch = items.slice(start, start + EVAL_BATCH);
      const data = new Float32Array(batch.length * height * width * 3);
      for (let k = 0; k < batch.length; k++) data.set((await decodePicture(batch[k].file, preprocess)).input, k * height * width * 3);
      const { probabilities } = await runOnnx(session, data, batch.length, height, width);
      if (!probabilities || probabilities.length !== batch.length * labels.length) throw new TorchModelRejectedError("The model the PyTorch script wrote returned no probabilities of the right size.");
      batch.forEach((item, k) => {
        const row = Array.from(probabilities.subarray(k * labels.length, (k + 1) * labels.length));
        const total = row.reduce((sum, p) => sum + p, 0);
        if (!row.every((p) => Number.isFinite(p) && p >= 0) || Math.abs(total - 1) > 1e-3) {
          throw new TorchModelRejectedError(`The model the PyTorch script wrote gives ${JSON.stringify(row)} for ${item.relative}, which are not probabilities.`);
        }
        const probabilityOf: Record<string, number> = {};
        labels.forEach((label, c) => (probabilityOf[label] = row[c]));
        const predicted = labels[row.indexOf(Math.max(...row))];
        predictions.push({ file: item.relative, split: item.split, label: item.label, predicted, probabilities: probabilityOf, loss: -Math.log(Math.max(row[labels.indexOf(item.label)], 1e-12)) });
      });
      params.onProgress?.({ event: "progress", phase: "verify", done: Math.min(start + EVAL_BATCH, items.length), total: items.length, message: "pictures" });
    }
  } finally {
    await session.release();
  }
  return predictions;
}

/** Writes files into a folder, with actionable file-system errors. */
export async function writeFiles(folder: string, files: Array<[string, Uint8Array]>): Promise<void> {
  for (const [name, data] of files) {
    const file = path.join(folder, name);
    await fs.writeFile(file, data).catch((error: unknown) => {
      throw describeFsError(error, file);
    });
  }
}
