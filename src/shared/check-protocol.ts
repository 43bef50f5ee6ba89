/**
 * The typed message protocol between the extension and the "Check for Deepfake" panel. Both sides import this
 * file; neither trusts the other: every incoming message goes through a `parse…` guard. No `vscode`, no DOM.
 */

/** How a check reads (core Verdict["level"]). */
export type CheckLevel = "likely-manipulated" | "some-moments-flagged" | "not-flagged" | "no-faces";

/** One worst moment with its annotated frame. */
export interface CheckMomentView {
  time: number;
  probability: number;
  /** Under the threshold: listed as the highest there is, not as flagged (the panel says so). */
  belowThreshold?: boolean;
  /** webview URI of the annotated JPEG (asWebviewUri of the report file). */
  src: string;
}

/** A stretch where the smoothed probability stays at or above the threshold (core FlaggedSegment). */
export interface CheckSegmentView {
  /** Times of its first and last sampled frame, seconds (equal for a one-frame segment). */
  start: number;
  end: number;
  /** Mean and highest smoothed probability over its frames. */
  meanProbability: number;
  maxProbability: number;
}

/** Everything the panel shows about one checked file. */
export interface CheckView {
  fileName: string;
  kind: "video" | "image";
  /** webview URI of the checked file itself (the <video> or <img> source). */
  mediaSrc: string;
  verdict: { level: CheckLevel; headline: string; text: string };
  fakeLabel: string;
  threshold: number;
  /** Sampled frames per second (videos). */
  fps?: number;
  durationSeconds?: number;
  counts: { frames: number; framesWithFaces: number; framesWithoutFaces: number; faces: number; facesAboveThreshold: number };
  /** The timeline: highest fake probability per second, null where no face was seen. */
  perSecond: Array<{ second: number; probability: number | null }>;
  /**
   * The smoothed signal the verdict reads, as perSecond (the highest smoothed value in each second), drawn as a line
   * over the bars. This and the next two are absent in reports saved before checks were smoothed.
   */
  smoothedPerSecond?: Array<{ second: number; probability: number | null }>;
  /** Full width of the centred moving median, seconds; 0 = not smoothed. */
  smoothingWindowSeconds?: number;
  /** Where the smoothed signal stays at or above the threshold, in time order; a video's verdict rests on these. */
  flaggedSegments?: CheckSegmentView[];
  worst: CheckMomentView[];
  noFaceRanges: Array<{ start: number; end: number; frames: number }>;
  warnings: string[];
}

/**
 * What the panel keeps in its webview state (vscode.setState) to be restored after a window reload: only where the
 * check's files are. The extension re-reads the report and checks both paths before it shows anything.
 */
export interface CheckPanelState {
  /** The checked video or image. */
  file: string;
  /** Its report.json in the extension's check-reports folder. */
  reportJson: string;
}

/** A restored panel whose check cannot be shown (report deleted, unreadable or not ours), and whether it can be checked again. */
export interface CheckLostView {
  fileName: string;
  reason: string;
  /** The checked file still exists, so "Check again" is offered. */
  canCheckAgain: boolean;
}

/** Extension → panel; `state` is what the webview saves for a reload (absent when there is no report to reload). */
export type CheckToWebview =
  | { type: "check/view"; view: CheckView; state?: CheckPanelState }
  | { type: "check/lost"; lost: CheckLostView; state?: CheckPanelState };

/** Panel → extension. */
export type CheckFromWebview = { type: "check/ready" } | { type: "check/openReport" } | { type: "check/revealReport" } | { type: "check/checkAgain" };

/** Bounds a hostile or broken message: a day of video at one point (or flagged segment) per second, 50 worst frames, 200 warnings. */
const MAX_SECONDS = 86_400;
/** Longer than any real path (PATH_MAX is 4096 on Linux). */
const MAX_PATH = 4096;
const MAX_WORST = 50;
const MAX_WARNINGS = 200;

type Guard<T> = (value: unknown) => value is T;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === "string" && value.length <= 100_000;
const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const isProbability = (value: unknown): value is number => isNumber(value) && value >= 0 && value <= 1;
const arrayOf = <T>(guard: Guard<T>, max: number) => (value: unknown): value is T[] => Array.isArray(value) && value.length <= max && value.every(guard);
const isLevel = (value: unknown): value is CheckLevel => value === "likely-manipulated" || value === "some-moments-flagged" || value === "not-flagged" || value === "no-faces";

const isMoment = (value: unknown): value is CheckMomentView =>
  isObject(value) && isNumber(value.time) && isProbability(value.probability) && (value.belowThreshold === undefined || typeof value.belowThreshold === "boolean") && isString(value.src);
const isSecond = (value: unknown): value is { second: number; probability: number | null } => isObject(value) && isNumber(value.second) && (value.probability === null || isProbability(value.probability));
const isRange = (value: unknown): value is { start: number; end: number; frames: number } => isObject(value) && isNumber(value.start) && isNumber(value.end) && isNumber(value.frames);
const isSegment = (value: unknown): value is CheckSegmentView =>
  isObject(value) && isNumber(value.start) && isNumber(value.end) && value.start >= 0 && value.end >= value.start && isProbability(value.meanProbability) && isProbability(value.maxProbability);
const isWindow = (value: unknown): value is number => isNumber(value) && value >= 0 && value <= MAX_SECONDS;
/** An optional field: absent (a report saved before it existed) or valid. */
const optional = <T>(guard: Guard<T>) => (value: unknown): value is T | undefined => value === undefined || guard(value);
const isCounts = (value: unknown): value is CheckView["counts"] =>
  isObject(value) && ["frames", "framesWithFaces", "framesWithoutFaces", "faces", "facesAboveThreshold"].every((key) => isNumber(value[key]));

/** True when `value` is a complete CheckView. */
export function isCheckView(value: unknown): value is CheckView {
  return (
    isObject(value) &&
    isString(value.fileName) &&
    (value.kind === "video" || value.kind === "image") &&
    isString(value.mediaSrc) &&
    isObject(value.verdict) && isLevel(value.verdict.level) && isString(value.verdict.headline) && isString(value.verdict.text) &&
    isString(value.fakeLabel) &&
    isProbability(value.threshold) &&
    (value.fps === undefined || isNumber(value.fps)) &&
    (value.durationSeconds === undefined || isNumber(value.durationSeconds)) &&
    isCounts(value.counts) &&
    arrayOf(isSecond, MAX_SECONDS)(value.perSecond) &&
    optional(arrayOf(isSecond, MAX_SECONDS))(value.smoothedPerSecond) &&
    optional(isWindow)(value.smoothingWindowSeconds) &&
    optional(arrayOf(isSegment, MAX_SECONDS))(value.flaggedSegments) &&
    arrayOf(isMoment, MAX_WORST)(value.worst) &&
    arrayOf(isRange, MAX_SECONDS)(value.noFaceRanges) &&
    arrayOf(isString, MAX_WARNINGS)(value.warnings)
  );
}

const isPath = (value: unknown): value is string => typeof value === "string" && value.length > 0 && value.length <= MAX_PATH && !value.includes("\0");
const isLostView = (value: unknown): value is CheckLostView => isObject(value) && isString(value.fileName) && isString(value.reason) && typeof value.canCheckAgain === "boolean";

/** The saved webview state when it has exactly the two paths; undefined otherwise (a restored panel then closes). */
export function parseCheckPanelState(value: unknown): CheckPanelState | undefined {
  if (!isObject(value) || Object.keys(value).length !== 2 || !isPath(value.file) || !isPath(value.reportJson)) return undefined;
  return { file: value.file, reportJson: value.reportJson };
}

/** Validates a message to the panel (the webview checks what it renders). */
export function parseCheckToWebview(value: unknown): CheckToWebview | undefined {
  if (!isObject(value)) return undefined;
  const state = value.state === undefined ? undefined : parseCheckPanelState(value.state);
  if (value.state !== undefined && !state) return undefined;
  const withState = state ? { state } : {};
  if (value.type === "check/view") return isCheckView(value.view) ? { type: "check/view", view: value.view, ...withState } : undefined;
  if (value.type === "check/lost") return isLostView(value.lost) ? { type: "check/lost", lost: value.lost, ...withState } : undefined;
  return undefined;
}

/** Validates a message from the panel; undefined when it is not one (ignored, never trusted). */
export function parseCheckFromWebview(value: unknown): CheckFromWebview | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case "check/ready":
    case "check/openReport":
    case "check/revealReport":
    case "check/checkAgain":
      return Object.keys(value).length === 1 ? { type: value.type } : undefined;
    default:
      return undefined;
  }
}
