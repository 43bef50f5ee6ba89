/**
 * Messages between the extension and the "Evaluate on Folder" panel, and guards both sides use: the webview draws
 * only a validated view; the extension acts only on the three known requests, which carry no data. The webview saves
 * where evaluation.json is, so the panel comes back after a window reload (restore-evaluation-panel.ts).
 */
import type { Confusion } from "../core/evaluate/confusion-types";

/** The four cells of a confusion matrix and the two rates the panel shows (core's type, trimmed). */
export type ConfusionView = Pick<Confusion, "truePositives" | "falsePositives" | "trueNegatives" | "falseNegatives" | "tpr" | "fpr">;

/** One calibration bin. */
export interface CalibrationBinView {
  from: number;
  to: number;
  count: number;
  meanScore: number | null;
  fractionFake: number | null;
}

/** What the panel draws; numbers only, text is set as text. */
export interface EvaluationView {
  title: string;
  fakeLabel: string;
  model: string;
  counts: { scored: number; fake: number; real: number; noFace: number; unreadable: number };
  accuracy: number | null;
  balancedAccuracy: number | null;
  current: { rule: "export-threshold" | "arg-max"; threshold?: number; confusion: ConfusionView };
  /** Null when the folders held one class only (real pictures alone still measure false alarms). */
  auc: { value: number; low: number; high: number; level: number; resamples: number } | null;
  /** Null without real pictures; `tpr` null without fakes. */
  atMaxFpr: { maxFpr: number; threshold: number; fpr: number; tpr: number | null; confusion: ConfusionView } | null;
  ece: number;
  /** [fpr, tpr] from (0, 0) to (1, 1). */
  roc: Array<[number, number]>;
  bins: CalibrationBinView[];
  /** Pictures not scored: file name, category, why. */
  unscored: Array<{ fileName: string; label: string; reason: "no-face" | "unreadable" }>;
  /** How many more were not scored than `unscored` lists. */
  unscoredMore: number;
  warnings: string[];
  /** Whether the report folder exists (the buttons to open it are shown). */
  hasReport: boolean;
  /** Whether the export can record this evaluation's threshold (export --max-fpr): a written evaluation of a known run with real pictures. */
  canExportThreshold: boolean;
}

/**
 * What the panel keeps in its webview state (vscode.setState) to be restored after a window reload: only where the
 * evaluation's evaluation.json is. The extension re-reads and checks that file before it shows anything.
 */
export interface EvaluationPanelState {
  json: string;
}

/** A restored panel whose evaluation cannot be shown (file deleted, unreadable or not an evaluation), and why. */
export interface EvaluationLostView {
  title: string;
  reason: string;
}

/** Extension → panel; `state` is what the webview saves for a reload (absent when nothing was written to reload). */
export type EvaluationToWebview =
  | { type: "evaluation/view"; view: EvaluationView; state?: EvaluationPanelState }
  | { type: "evaluation/lost"; lost: EvaluationLostView; state?: EvaluationPanelState };
export type EvaluationFromWebview = { type: "evaluation/ready" } | { type: "evaluation/openReport" } | { type: "evaluation/revealReport" } | { type: "evaluation/exportWithThreshold" };

export const MAX_ROC_POINTS = 2000;
export const MAX_UNSCORED = 200;
const MAX_BINS = 1000;
const MAX_WARNINGS = 50;
/** Longer than any real path (PATH_MAX is 4096 on Linux). */
const MAX_PATH = 4096;

type Guard<T> = (value: unknown) => value is T;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === "string" && value.length <= 10_000;
const isCount = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;
const isUnit = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1;
const isUnitOrNull = (value: unknown): value is number | null => value === null || isUnit(value);
const arrayOf = <T>(guard: Guard<T>, max: number) => (value: unknown): value is T[] => Array.isArray(value) && value.length <= max && value.every(guard);

const isConfusion = (value: unknown): value is ConfusionView =>
  isObject(value) && ["truePositives", "falsePositives", "trueNegatives", "falseNegatives"].every((key) => isCount(value[key])) && isUnitOrNull(value.tpr) && isUnitOrNull(value.fpr);
const isBin = (value: unknown): value is CalibrationBinView =>
  isObject(value) && isUnit(value.from) && isUnit(value.to) && isCount(value.count) && isUnitOrNull(value.meanScore) && isUnitOrNull(value.fractionFake);
const isPoint = (value: unknown): value is [number, number] => Array.isArray(value) && value.length === 2 && isUnit(value[0]) && isUnit(value[1]);
const isUnscored = (value: unknown): value is EvaluationView["unscored"][number] =>
  isObject(value) && isString(value.fileName) && isString(value.label) && (value.reason === "no-face" || value.reason === "unreadable");

/** True when `value` is a complete EvaluationView. */
export function isEvaluationView(value: unknown): value is EvaluationView {
  if (!isObject(value)) return false;
  const { counts, current, auc, atMaxFpr } = value;
  return (
    isString(value.title) && isString(value.fakeLabel) && isString(value.model) &&
    isObject(counts) && ["scored", "fake", "real", "noFace", "unreadable"].every((key) => isCount(counts[key])) &&
    isUnitOrNull(value.accuracy) && isUnitOrNull(value.balancedAccuracy) &&
    isObject(current) && (current.rule === "export-threshold" || current.rule === "arg-max") && (current.threshold === undefined || isUnit(current.threshold)) && isConfusion(current.confusion) &&
    (auc === null || (isObject(auc) && isUnit(auc.value) && isUnit(auc.low) && isUnit(auc.high) && isUnit(auc.level) && isCount(auc.resamples))) &&
    (atMaxFpr === null || (isObject(atMaxFpr) && isUnit(atMaxFpr.maxFpr) && isUnit(atMaxFpr.threshold) && isUnit(atMaxFpr.fpr) && isUnitOrNull(atMaxFpr.tpr) && isConfusion(atMaxFpr.confusion))) &&
    isUnit(value.ece) &&
    arrayOf(isPoint, MAX_ROC_POINTS + 2)(value.roc) &&
    arrayOf(isBin, MAX_BINS)(value.bins) &&
    arrayOf(isUnscored, MAX_UNSCORED)(value.unscored) && isCount(value.unscoredMore) &&
    arrayOf(isString, MAX_WARNINGS)(value.warnings) &&
    typeof value.hasReport === "boolean" && typeof value.canExportThreshold === "boolean"
  );
}

const isPath = (value: unknown): value is string => typeof value === "string" && value.length > 0 && value.length <= MAX_PATH && !value.includes("\0");
const isLostView = (value: unknown): value is EvaluationLostView => isObject(value) && Object.keys(value).length === 2 && isString(value.title) && isString(value.reason);

/** The saved webview state when it is exactly one path; undefined otherwise (a restored panel then closes). */
export function parseEvaluationPanelState(value: unknown): EvaluationPanelState | undefined {
  if (!isObject(value) || Object.keys(value).length !== 1 || !isPath(value.json)) return undefined;
  return { json: value.json };
}

/** Validates a message to the panel; a message with a malformed state is dropped whole. */
export function parseEvaluationToWebview(value: unknown): EvaluationToWebview | undefined {
  if (!isObject(value)) return undefined;
  const state = value.state === undefined ? undefined : parseEvaluationPanelState(value.state);
  if (value.state !== undefined && !state) return undefined;
  const withState = state ? { state } : {};
  if (value.type === "evaluation/view") return isEvaluationView(value.view) ? { type: "evaluation/view", view: value.view, ...withState } : undefined;
  if (value.type === "evaluation/lost") return isLostView(value.lost) ? { type: "evaluation/lost", lost: { title: value.lost.title, reason: value.lost.reason }, ...withState } : undefined;
  return undefined;
}

/** Validates a message from the panel; undefined when it is not one (ignored, never trusted). */
export function parseEvaluationFromWebview(value: unknown): EvaluationFromWebview | undefined {
  if (!isObject(value) || Object.keys(value).length !== 1) return undefined;
  switch (value.type) {
    case "evaluation/ready":
    case "evaluation/openReport":
    case "evaluation/revealReport":
    case "evaluation/exportWithThreshold":
      return { type: value.type };
    default:
      return undefined;
  }
}
