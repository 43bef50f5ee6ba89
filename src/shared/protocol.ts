/**
 * The typed message protocol between the extension and its webviews (Cleaner view, Training panel).
 * Both sides import this file; neither trusts the other: every incoming message goes through a `parse…` guard.
 * No `vscode` and no DOM here, so the extension, the webview bundles and the tests share it.
 */
import type { EpochRecord } from "../core/train/run-files";

/** Which split an image belongs to in the run the cleaner shows (fastai's Train/Valid drop-down). */
export type Split = "train" | "valid";

/** What the user chose for one image; the extension turns it into a core CleaningDecision. */
export type Choice = { action: "keep" } | { action: "delete" } | { action: "relabel"; label: string };

/** One thumbnail of the cleaner: an image of the latest run's predictions. */
export interface CleanerItem {
  /** Relative to the data folder, forward slashes (the key the core validates; never a path the webview made up). */
  file: string;
  /** webview URI of the image (asWebviewUri of the data folder file). */
  src: string;
  split: Split;
  label: string;
  predicted: string;
  /** Probability of the predicted label, 0..1. */
  confidence: number;
  loss: number;
}

/** Everything the cleaner shows. */
export interface CleanerState {
  /** The run the losses come from; undefined when there is no training run yet. */
  runId?: string;
  labels: string[];
  /** Sorted by loss, highest first. */
  items: CleanerItem[];
  canUndo: boolean;
  /** Restricted Mode: the cleaner is read-only. */
  readOnly: boolean;
  /** Why the list is empty, in words (no project, no run yet…). */
  notice?: string;
}

/** A row of the Training panel's epoch table (the shape of runs/<id>/metrics.json's epochs). */
export type EpochView = Pick<EpochRecord, "epoch" | "trainLoss" | "validLoss" | "errorRate" | "seconds">;

/** Everything the Training panel shows about one run. */
export interface RunView {
  runId: string;
  status: "running" | "done" | "failed" | "cancelled";
  /** Planned epochs (known while training), for the progress text. */
  totalEpochs?: number;
  epochs: EpochView[];
  errorRate?: number;
  /** The epoch whose weights the run kept (lowest validation loss); its row is marked. */
  keptEpoch?: number;
  /** The shortcut audit in words (describeAudit): a summary line, then findings. */
  audit?: string[];
  /** Where the model looked on the validation pictures (describeWhereItLooked): the finding, then a warning line. */
  whereItLooked?: string[];
  /** The same-person check (describeSameIdentityCheck): the share of held-out self-blends called fake, in words, then why no self-blends were added and a synthesized-only run's warning, when they apply. */
  sameIdentityBlends?: string[];
  /** That share (0-1), shown beside the error rate; absent when nothing was scored. */
  sameIdentityBlendShare?: number;
  confusion?: { labels: string[]; matrix: number[][] };
  counts?: { train: Record<string, number>; valid: Record<string, number> };
  message?: string;
}

/** One thumbnail's activation map (core clean/run-maps.ts): the predicted label's, on the grid of CleanerMaps. */
export interface CleanerMap {
  file: string;
  map: number[];
  faceShare?: number;
  /** The map lies mostly outside the face: the card is marked. */
  elsewhere?: boolean;
}

/** Where the run's model looked on the cleaner's pictures, or why it cannot say. */
export interface CleanerMaps {
  runId: string;
  /** The maps' grid; each map has height x width values. */
  height: number;
  width: number;
  /** The face box as fractions of the picture, when the pictures are the studio's face crops. */
  face?: { x: number; y: number; width: number; height: number };
  items: CleanerMap[];
  /** In words: what the overlay shows, or why there is none. */
  note: string;
}

/** Extension → Cleaner view. */
export type CleanerToWebview =
  | { type: "cleaner/state"; state: CleanerState }
  | { type: "cleaner/maps"; maps: CleanerMaps }
  | { type: "cleaner/busy"; message: string }
  | { type: "cleaner/result"; ok: boolean; message: string; clearChoices: boolean }
  /** Switch to this category (opened from the Dataset view's category). */
  | { type: "cleaner/show"; category: string };

/** Cleaner view → extension. */
export type CleanerFromWebview =
  | { type: "cleaner/ready" }
  | { type: "cleaner/apply"; decisions: Array<{ file: string; choice: Choice }> }
  | { type: "cleaner/undo" }
  | { type: "cleaner/train" }
  /** The "Where it looked" toggle was turned on: send the maps of the run shown. */
  | { type: "cleaner/maps" };

/** Extension → Training panel. */
export type TrainingToWebview =
  | { type: "training/run"; run: RunView }
  | { type: "training/epoch"; runId: string; epoch: EpochView; totalEpochs?: number }
  | { type: "training/progress"; progress: TrainingProgress };

/** What a running training is doing before its first epoch (listing, features): core's progress events, condensed. */
export interface TrainingProgress {
  /** The phase's words, e.g. "Computing features of 40 images with nsfwjs-mobilenet_v2". */
  message: string;
  /** Counted work in this phase (feature vectors), when the core counts it. */
  done?: number;
  total?: number;
  /** What is counted, e.g. "feature vectors". */
  unit?: string;
}

/** Training panel → extension. */
export type TrainingFromWebview = { type: "training/ready" } | { type: "training/openCleaner" } | { type: "training/export"; runId: string };

/** Largest number of decisions one apply may carry (the dataset is far smaller; this bounds a hostile message). */
export const MAX_DECISIONS = 20_000;

type Guard<T> = (value: unknown) => value is T;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === "string";
const isShortString = (value: unknown): value is string => isString(value) && value.length > 0 && value.length <= 1024;
const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const isSplit = (value: unknown): value is Split => value === "train" || value === "valid";
const arrayOf = <T>(guard: Guard<T>, max = Infinity) => (value: unknown): value is T[] => Array.isArray(value) && value.length <= max && value.every(guard);
const recordOf = <T>(guard: Guard<T>) => (value: unknown): value is Record<string, T> => isObject(value) && Object.values(value).every(guard);

/** True when `value` is a valid Choice. */
export function isChoice(value: unknown): value is Choice {
  if (!isObject(value)) return false;
  if (value.action === "keep" || value.action === "delete") return Object.keys(value).length === 1;
  return value.action === "relabel" && isShortString(value.label) && Object.keys(value).length === 2;
}

const isDecision = (value: unknown): value is { file: string; choice: Choice } => isObject(value) && isShortString(value.file) && isChoice(value.choice);

/** Validates a message from the Cleaner view; undefined when it is not one (ignored, never trusted). */
export function parseCleanerFromWebview(value: unknown): CleanerFromWebview | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case "cleaner/ready":
    case "cleaner/undo":
    case "cleaner/train":
    case "cleaner/maps":
      return { type: value.type };
    case "cleaner/apply":
      return arrayOf(isDecision, MAX_DECISIONS)(value.decisions) ? { type: "cleaner/apply", decisions: value.decisions.map((d) => ({ file: d.file, choice: d.choice })) } : undefined;
    default:
      return undefined;
  }
}

/** Validates a message from the Training panel. */
export function parseTrainingFromWebview(value: unknown): TrainingFromWebview | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case "training/ready":
    case "training/openCleaner":
      return { type: value.type };
    case "training/export":
      return isShortString(value.runId) ? { type: "training/export", runId: value.runId } : undefined;
    default:
      return undefined;
  }
}

const isCleanerItem = (value: unknown): value is CleanerItem =>
  isObject(value) && isShortString(value.file) && isString(value.src) && isSplit(value.split) && isString(value.label) && isString(value.predicted) && isNumber(value.confidence) && isNumber(value.loss);

const isCleanerState = (value: unknown): value is CleanerState =>
  isObject(value) &&
  (value.runId === undefined || isString(value.runId)) &&
  arrayOf(isString)(value.labels) &&
  arrayOf(isCleanerItem)(value.items) &&
  typeof value.canUndo === "boolean" &&
  typeof value.readOnly === "boolean" &&
  (value.notice === undefined || isString(value.notice));

/** Largest map grid the cleaner draws (the finest tap of a 224-px model is 56 x 56 at most). */
const MAX_MAP_CELLS = 128 * 128;

const isUnitBox = (value: unknown): value is CleanerMaps["face"] => isObject(value) && [value.x, value.y, value.width, value.height].every(isNumber);

const isCleanerMaps = (value: unknown): value is CleanerMaps =>
  isObject(value) &&
  isShortString(value.runId) &&
  isNumber(value.height) && isNumber(value.width) && value.height * value.width <= MAX_MAP_CELLS &&
  (value.face === undefined || isUnitBox(value.face)) &&
  isString(value.note) &&
  arrayOf((item: unknown): item is CleanerMap =>
    isObject(item) && isShortString(item.file) && arrayOf(isNumber, MAX_MAP_CELLS)(item.map) && item.map.length === (value.height as number) * (value.width as number) &&
    (item.faceShare === undefined || isNumber(item.faceShare)) && (item.elsewhere === undefined || typeof item.elsewhere === "boolean"))(value.items);

/** Validates a message to the Cleaner view (the webview checks what it renders, too). */
export function parseCleanerToWebview(value: unknown): CleanerToWebview | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case "cleaner/state":
      return isCleanerState(value.state) ? { type: value.type, state: value.state } : undefined;
    case "cleaner/maps":
      return isCleanerMaps(value.maps) ? { type: value.type, maps: value.maps } : undefined;
    case "cleaner/busy":
      return isString(value.message) ? { type: value.type, message: value.message } : undefined;
    case "cleaner/show":
      return isShortString(value.category) ? { type: value.type, category: value.category } : undefined;
    case "cleaner/result":
      return typeof value.ok === "boolean" && isString(value.message) && typeof value.clearChoices === "boolean"
        ? { type: value.type, ok: value.ok, message: value.message, clearChoices: value.clearChoices }
        : undefined;
    default:
      return undefined;
  }
}

const isEpoch = (value: unknown): value is EpochView =>
  isObject(value) && isNumber(value.epoch) && isNumber(value.trainLoss) && isNumber(value.validLoss) && isNumber(value.errorRate) && isNumber(value.seconds);

const isConfusion = (value: unknown): value is { labels: string[]; matrix: number[][] } =>
  isObject(value) && arrayOf(isString)(value.labels) && arrayOf(arrayOf(isNumber))(value.matrix);

const isProgress = (value: unknown): value is TrainingProgress =>
  isObject(value) &&
  isString(value.message) &&
  (value.done === undefined || isNumber(value.done)) &&
  (value.total === undefined || isNumber(value.total)) &&
  (value.unit === undefined || isString(value.unit));

const isRunView = (value: unknown): value is RunView =>
  isObject(value) &&
  isShortString(value.runId) &&
  (value.status === "running" || value.status === "done" || value.status === "failed" || value.status === "cancelled") &&
  (value.totalEpochs === undefined || isNumber(value.totalEpochs)) &&
  arrayOf(isEpoch)(value.epochs) &&
  (value.errorRate === undefined || isNumber(value.errorRate)) &&
  (value.keptEpoch === undefined || isNumber(value.keptEpoch)) &&
  (value.audit === undefined || arrayOf(isString)(value.audit)) &&
  (value.whereItLooked === undefined || arrayOf(isString)(value.whereItLooked)) &&
  (value.sameIdentityBlends === undefined || arrayOf(isString)(value.sameIdentityBlends)) &&
  (value.sameIdentityBlendShare === undefined || isNumber(value.sameIdentityBlendShare)) &&
  (value.confusion === undefined || isConfusion(value.confusion)) &&
  (value.counts === undefined || (isObject(value.counts) && recordOf(isNumber)(value.counts.train) && recordOf(isNumber)(value.counts.valid))) &&
  (value.message === undefined || isString(value.message));

/** Validates a message to the Training panel. */
export function parseTrainingToWebview(value: unknown): TrainingToWebview | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case "training/run":
      return isRunView(value.run) ? { type: value.type, run: value.run } : undefined;
    case "training/epoch":
      return isShortString(value.runId) && isEpoch(value.epoch) && (value.totalEpochs === undefined || isNumber(value.totalEpochs))
        ? { type: value.type, runId: value.runId, epoch: value.epoch, totalEpochs: value.totalEpochs as number | undefined }
        : undefined;
    case "training/progress":
      return isProgress(value.progress) ? { type: value.type, progress: value.progress } : undefined;
    default:
      return undefined;
  }
}

/** Compile-time exhaustiveness: call in the `default` of a switch over a union. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected message: ${JSON.stringify(value)}`);
}
