/**
 * `train`: fastai lesson 2's DataBlock + vision_learner + fine_tune, with the pretrained backbone frozen (tfjs
 * cannot back-propagate through convolutions): cached backbone features → a dropout + dense + softmax head.
 * Writes runs/<run-id>/{head,metrics,predictions,run}.json (see run-files.ts).
 */
import type { FetchLike } from "../backbone/download-model";
import type { ProjectConfig } from "../project/project-config";
import { StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { auditTrainingPictures } from "./audit-training-pictures";
import { confusionOf } from "./confusion";
import { chooseEngine } from "./engines/train-engine";
import { trainWithHfJobs, type HfJobsOptions } from "./engines/hf-jobs/train-hf-jobs";
import { trainWithTorch } from "./engines/torch/train-torch";
import { dataFilePredictions, synthesisMetrics } from "../synthesize/blend-sensitivity";
import { newRunId } from "./new-run-id";
import { prepareTrainingData, type PreparedData } from "./prepare-training-data";
import type { EpochRecord, RunHead, RunMetrics, RunPrediction } from "./run-files";
import { TrainSettingsError } from "./train-errors";
import { heldOutThreshold } from "./held-out-threshold";
import { argmax, trainHead, type HeadSettings, type TrainedHead } from "./train-head";
import { writeRun } from "./write-run";
import { measureWhereItLooked } from "./where-it-looked";

/** Parameters of train. */
export interface TrainParams extends OperationOptions {
  projectDir: string;
  config: ProjectConfig;
  /** Overrides train.epochs. */
  epochs?: number;
  /** Id, model.json path/folder or URL; overrides DEEPFAKE_STUDIO_BACKBONE and train.backbone. */
  backbone?: string;
  /** Overrides train.learningRate (e.g. the value `--lr-find` suggested). */
  learningRate?: number;
  /** Overrides train.augmentViews. */
  augmentViews?: number;
  /** Called after every epoch, as fastai prints its table row. */
  onEpoch?: (record: EpochRecord) => void;
  env?: NodeJS.ProcessEnv;
  fetch?: FetchLike;
  /** Memory cap for the features; default min(2 GiB, half the RAM). */
  maxFeatureBytes?: number;
  /** Overrides train.engine: "studio" (frozen backbone + head), "torch" (the whole network, in the user's PyTorch), "hf-jobs" (the same as a Hugging Face Job). */
  engine?: string;
  /** Overrides train.torchBackbone: the network engines "torch" and "hf-jobs" fine-tune (mobilenet_v2, resnet18, resnet34, efficientnet_b0). */
  torchBackbone?: string;
  /** Engine "hf-jobs": the hub to use and how often to poll (tests). */
  hfJobs?: HfJobsOptions;
}

/** What a finished run produced. */
export interface TrainResult {
  runId: string;
  runDir: string;
  metrics: RunMetrics;
  /** Feature vectors read from the project cache vs computed by the backbone in this run. */
  featureCache: { hits: number; computed: number };
}

/** runs/<id>/run.json: how the run was made (settings, backbone, cache), for people and audits. */
export interface RunRecord {
  runId: string;
  createdAt: string;
  dataDir: string;
  settings: HeadSettings & { validPct: number; augmentViews: number };
  categories: string[];
  backbone: RunHead["backbone"] & { description: string; featureLength: number };
  preprocess: RunHead["preprocess"];
  featureCache: { dir: string; hits: number; computed: number; pruned: { files: number; bytes: number } };
  unreadable: Array<{ file: string; reason: string }>;
  warnings: string[];
  node: string;
}

/** Trains a head on the project's images and writes the run folder; returns its id, folder and metrics. */
export async function train(params: TrainParams): Promise<TrainResult> {
  const engine = chooseEngine(params.engine, params.config);
  if (engine === "torch") return trainWithTorch(params);
  if (engine === "hf-jobs") return trainWithHfJobs(params);
  const started = performance.now();
  const settings = resolveSettings(params);
  const augmentViews = params.augmentViews ?? params.config.train.augmentViews;
  if (!Number.isInteger(augmentViews) || augmentViews < 0 || augmentViews > 16) throw new TrainSettingsError(`augmentViews must be a whole number from 0 to 16, not ${augmentViews}.`);
  const runId = newRunId();
  const createdAt = new Date().toISOString();

  const data = await prepareTrainingData({ ...params, augmentViews });
  throwIfAborted(params.signal, "training");
  const headStarted = performance.now();
  params.onProgress?.({ event: "phase", phase: "head", message: `Training the head: ${settings.epochs} epoch(s), lr ${settings.learningRate}` });
  const trained = await trainHead({
    data: {
      features: data.features,
      featureLength: data.featureLength,
      emphasis: data.emphasis,
      classes: data.labels.length,
      train: data.items.filter((item) => item.split === "train").map((item) => ({ rows: item.rows, label: item.labelIndex })),
      valid: data.items.filter((item) => item.split === "valid").map((item) => ({ rows: item.rows, label: item.labelIndex })),
    },
    settings,
    signal: params.signal,
    onEpoch: params.onEpoch,
  });
  const predictions = predictAll(data, trained);
  const filePredictions = dataFilePredictions(data.items, predictions);
  const threshold = heldOutThreshold({ mode: data.selfBlend.mode, fakeLabel: data.selfBlend.fakeLabel, predictions: filePredictions });
  const headSeconds = (performance.now() - headStarted) / 1000;
  const audit = await auditTrainingPictures({ ...params, labels: data.labels, fakeLabel: params.config.fakeLabel, pictures: data.items.map((item) => ({ file: item.file, label: item.label, sha256: item.sha256 })), seed: settings.seed });

  const metrics: RunMetrics = {
    runId,
    createdAt,
    seed: settings.seed,
    validPct: params.config.train.validPct,
    epochs: trained.epochs,
    errorRate: trained.epochs[trained.keptEpoch].errorRate,
    keptEpoch: trained.keptEpoch,
    confusion: confusionOf(data.labels, predictions),
    counts: data.counts,
    phases: { decode: data.phases.decode, features: data.phases.features, head: headSeconds, total: (performance.now() - started) / 1000 },
    unreadable: data.unreadable.map((entry) => entry.file),
    ...(audit ? { audit } : {}),
    ...synthesisMetrics(data, scoreAsExported(data, trained), threshold?.threshold),
    ...(threshold ? { heldOutThreshold: threshold } : {}),
  };
  const head: RunHead = {
    labels: data.labels,
    featureLength: data.featureLength,
    mean: Array.from(trained.mean),
    std: Array.from(trained.std),
    weights: Array.from(trained.head.weights),
    bias: Array.from(trained.head.bias),
    backbone: data.info.backbone,
    preprocess: data.preprocess,
  };
  const whereItLooked = await whereItLookedOrWarn(params, head, data, predictions);
  if (whereItLooked) metrics.whereItLooked = whereItLooked;
  const record: RunRecord = {
    runId,
    createdAt,
    dataDir: data.dataDir,
    settings: { ...settings, validPct: params.config.train.validPct, augmentViews },
    categories: data.labels,
    backbone: { ...data.info.backbone, description: data.info.description, featureLength: data.info.featureLength },
    preprocess: data.preprocess,
    featureCache: data.cache,
    unreadable: data.unreadable,
    warnings: data.warnings,
    node: process.version,
  };
  throwIfAborted(params.signal, "training");
  params.onProgress?.({ event: "phase", phase: "write", message: `Writing run ${runId}` });
  const runDir = await writeRun({
    projectDir: params.projectDir,
    runId,
    files: { "head.json": head, "metrics.json": metrics, "predictions.json": filePredictions, "run.json": record },
    signal: params.signal,
  });
  return { runId, runDir, metrics, featureCache: { hits: data.cache.hits, computed: data.cache.computed } };
}

/** The validation pictures' activation maps against the face; a failure to measure them is a warning, not a failed run. */
async function whereItLookedOrWarn(params: TrainParams, head: RunHead, data: PreparedData, predictions: RunPrediction[]): Promise<RunMetrics["whereItLooked"]> {
  const pictures = data.items.flatMap((item, i) => (item.split === "valid" ? [{ item, predicted: data.labels.indexOf(predictions[i].predicted) }] : []));
  try {
    return await measureWhereItLooked({ head, pictures, env: params.env, signal: params.signal, onProgress: params.onProgress });
  } catch (error) {
    if (error instanceof StudioError && error.code === "cancelled") throw error;
    params.onProgress?.({ event: "warning", message: `Where the model looks could not be measured (${error instanceof Error ? error.message : String(error)}); the run is complete without it.` });
    return undefined;
  }
}

/** The project's train section with the call's overrides, checked. */
function resolveSettings(params: TrainParams): HeadSettings {
  const train = params.config.train;
  const settings: HeadSettings = {
    epochs: params.epochs ?? train.epochs,
    learningRate: params.learningRate ?? train.learningRate,
    batchSize: train.batchSize,
    dropout: train.dropout,
    weightDecay: train.weightDecay,
    seed: train.seed,
    heads: train.heads,
  };
  if (!Number.isInteger(settings.epochs) || settings.epochs < 1 || settings.epochs > 1000) {
    throw new TrainSettingsError(`epochs must be a whole number from 1 to 1000, not ${settings.epochs}.`, ["Set train.epochs in deepfake-studio.json", { cliOnly: " or pass --epochs N" }, " (fastai's fine_tune(N)); 10–20 suits a frozen backbone."]);
  }
  if (!(settings.learningRate > 0 && settings.learningRate <= 10)) {
    throw new TrainSettingsError(`The learning rate must be above 0 and at most 10, not ${settings.learningRate}.`, ["Run ", { step: "lr-find" }, " for a suggestion."]);
  }
  return settings;
}

/** Scores a picture by its first row as the exported model does: over its test-time views when it has them (validation pictures and the self-blends made of them). */
function scoreAsExported(data: PreparedData, trained: TrainedHead): (row: number) => Float64Array {
  return (row) => trained.logProbabilitiesOfViews(data.viewsOfRow.get(row) ?? [row]);
}

/** Every readable image through the trained head (validation images as the exported model scores them, training images plain): the cleaner's input. */
function predictAll(data: PreparedData, trained: TrainedHead): RunPrediction[] {
  const score = scoreAsExported(data, trained);
  return data.items.map((item) => {
    const logP = score(item.rows[0]);
    const probabilities: Record<string, number> = {};
    data.labels.forEach((label, k) => {
      probabilities[label] = Math.exp(logP[k]);
    });
    return { file: item.relative, split: item.split, label: item.label, predicted: data.labels[argmax(logP)], probabilities, loss: -logP[item.labelIndex] };
  });
}
