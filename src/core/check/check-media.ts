/**
 * Checks suspicious videos and images with an exported model: frames sampled with ffmpeg (streamed, so memory
 * stays flat) → faces and landmarks in each frame → each face cropped as the training crops were → batched through
 * onnxruntime-node → a fake-probability timeline, the worst moments, a verdict that does not overclaim, and
 * (with `outDir`) a report folder per input.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { createOnnxSession } from "../onnx/onnx-session";
import { decodeImagePixels } from "../shared/decode-image-pixels";
import { loadExport, type LoadedExport } from "../predict/load-export";
import { InvalidExportError } from "../predict/predict-errors";
import type { DetectedFace } from "../face-nets/detect-faces";
import { CancelledError, StudioError, throwIfAborted } from "../shared/errors";
import { labelToFolderName } from "../shared/labels";
import type { OperationOptions } from "../shared/progress";
import type { CheckedFace, CheckedFrame, CheckModel, CheckResult, MediaCheck, WorstMoment } from "./check-types";
import { createFaceScorer, type FaceScorer, type ScoredCrop } from "./create-face-scorer";
import { landmarksBox, massShareInside } from "../cam/map-mass";
import { createWorstMoments, type WorstMoments } from "./create-worst-moments";
import { cropTrainingFace, TRAINING_MARGIN } from "../face-crop/crop-training-face";
import { datasetJpegQuality } from "../face-crop/encode-crop-like-dataset";
import { describeVerdict } from "./describe-verdict";
import { FRAME_INPUT_SIZE, type FaceDetectorKind } from "../face-crop/detect-frame-faces";
import { detectStillFaces } from "../face-crop/detect-still-faces";
import { findFfmpeg } from "../video/find-ffmpeg";
import { formatTimestamp } from "../video/format-timestamp";
import { probeVideo } from "../video/probe-video";
import { readValidationError } from "./read-validation-error";
import { listCheckInputs } from "./list-check-inputs";
import { readVideoFrames } from "../video/read-video-frames";
import { refuseProjectReportFolder } from "./refuse-project-report-folder";
import { resolveFakeLabel, type FakeLabel } from "../shared/resolve-fake-label";
import { DEFAULT_SMOOTH_SECONDS } from "./smooth-timeline";
import { summariseCheck } from "./summarise-check";
import { writeCheckReport, type WorstFramePixels } from "./write-check-report";

/** Parameters of checkMedia. */
export interface CheckMediaParams extends OperationOptions {
  /** Video (MP4, MOV, WebM, MKV) and image (JPEG, PNG) files, and folders: every such file in them is checked. */
  inputs: string[];
  /** The project the check runs for: reports are refused inside its data, runs, export and Space folders. */
  projectDir?: string;
  /** The export folder (model.onnx + labels.json + preprocess.json, and metrics.json for the verdict). */
  modelDir: string;
  /** Sampled frames per second of video (default 2). */
  fps?: number;
  /** A face at or above this fake probability counts as flagged (default: the export's decision threshold, else 0.5). */
  threshold?: number;
  /** The label that means manipulated (default: the export's decision label, else projectFakeLabel, else the one containing "fake", else the second). */
  fakeLabel?: string;
  /** The project file's fakeLabel. */
  projectFakeLabel?: string;
  /** Face detector (default "fast"); see detect-frame-faces.ts. */
  detector?: FaceDetectorKind;
  /**
   * Detections below this detector score are not faces (default 0.5). Whatever the score, a detection whose
   * landmarks are not laid out like a face (eyes above nose above mouth, face-like distances) is dropped too.
   */
  minFaceScore?: number;
  /** Crop side as a multiple of the landmarks' box (default 1.55, the middle of training's range). */
  margin?: number;
  /**
   * Test-time augmentation (default true): each face is scored as the mean of two views that span training's
   * framing, 0.9 × margin plain and 1.1 × margin mirrored, instead of one centre crop. On the reference faces it
   * lifted the AUC of real vs swapped from 0.87 to 0.94 for one more model run per face.
   */
  tta?: boolean;
  /** Width in seconds of the centred moving median the flagged segments and a video's verdict read (default 3; 0 = off). */
  smooth?: number;
  /** Longest side video frames are analysed at (default 640; smaller videos are not enlarged). */
  maxSide?: number;
  /** Writes `<outDir>/<input name>/` per input (report.md, report.json, worst frames, timeline); none when omitted. */
  outDir?: string;
  /** Worst moments kept per input (default 6). */
  worstCount?: number;
  /** Faces per onnxruntime call (default 16). */
  batchSize?: number;
  /** onnxruntime threads (default: every core). */
  threads?: number;
  /** The ffmpeg program to use (the VS Code setting); else DEEPFAKE_STUDIO_FFMPEG, the bundled npm copy, the PATH. */
  ffmpegPath?: string;
}

/** Everything one input's check shares with the others. */
interface Shared {
  exported: LoadedExport;
  scorer: FaceScorer;
  fake: FakeLabel;
  model: CheckModel;
  settings: Required<Pick<CheckMediaParams, "fps" | "threshold" | "detector" | "minFaceScore" | "margin" | "maxSide" | "worstCount" | "tta" | "smooth">>;
  options: OperationOptions;
  ffmpegPath?: string;
}

/** What a frame's faces turn into once scored, and what the worst-moment keeper holds. */
type Pixels = Pick<WorstFramePixels, "data" | "width" | "height">;
/** A worst-moment candidate: the frame's pixels, its scored faces and the crop each face was scored on (the first view). */
type WorstPayload = Pixels & { frame: CheckedFrame; crops: ScoredCrop[] };

const DEFAULTS = { fps: 2, threshold: 0.5, detector: "fast" as FaceDetectorKind, minFaceScore: 0.5, margin: TRAINING_MARGIN, maxSide: 640, worstCount: 6, tta: true, smooth: DEFAULT_SMOOTH_SECONDS };
/** The two TTA views: training drew margins from 1.3-1.8 around 1.55 and mirrored half its crops; 1.4 and 1.7 sit inside that. */
const TTA_VIEWS = [{ scale: 1.4 / TRAINING_MARGIN, flip: false }, { scale: 1.7 / TRAINING_MARGIN, flip: true }];

/**
 * Checks every input in order. Unreadable inputs become `{ file, error, code, hint }` entries; throws only when the
 * export is unusable, the settings are invalid or the run is cancelled.
 */
export async function checkMedia(params: CheckMediaParams): Promise<CheckResult[]> {
  const settings = validate(params);
  if (params.outDir !== undefined) await refuseProjectReportFolder({ outDir: params.outDir, projectDir: params.projectDir, modelDir: params.modelDir });
  const inputs = await listCheckInputs({ inputs: params.inputs, signal: params.signal });
  const exported = await loadExport({ modelDir: params.modelDir });
  // A model trained on face crops (faceCrop projects) records its framing; faces here are cut the same way.
  if (params.margin === undefined && exported.preprocess.faceCrop) settings.margin = exported.preprocess.faceCrop.margin;
  // The export's decision threshold (export --threshold / --max-fpr) names its fake label; both are the defaults here.
  const fake = resolveFakeLabel({ labels: exported.labels, requested: params.fakeLabel ?? exported.decision?.label, projectSetting: params.projectFakeLabel });
  const thresholdSource = thresholdSourceOf(params.threshold, exported, fake.label);
  if (thresholdSource === "export" && exported.decision) settings.threshold = exported.decision.threshold;
  const validation = await readValidationError({ modelDir: exported.modelDir });
  const model: CheckModel = {
    dir: exported.modelDir,
    labels: exported.labels,
    fakeLabel: fake.label,
    fakeLabelReason: fake.reason,
    thresholdSource,
    ...(validation ? { validationErrorRate: validation.errorRate, ...(validation.validImages !== undefined ? { validImages: validation.validImages } : {}) } : {}),
    ...(exported.metadata.run_id ? { runId: exported.metadata.run_id } : {}),
  };
  const session = await createOnnxSession(exported.modelBytes, { threads: params.threads });
  const shared: Shared = { exported, scorer: createFaceScorer({ session, exported, batchSize: params.batchSize, jpegQuality: datasetJpegQuality(exported.preprocess.faceCrop) }), fake, model, settings, options: { onProgress: params.onProgress, signal: params.signal }, ffmpegPath: params.ffmpegPath };
  const results: CheckResult[] = [];
  const reportNames = new Set<string>();
  for (const warning of inputs.warnings) params.onProgress?.({ event: "warning", message: warning });
  try {
    for (const [position, input] of inputs.entries.entries()) {
      throwIfAborted(params.signal, "check");
      if ("error" in input) {
        results.push(input);
        params.onProgress?.({ event: "warning", message: `${input.file}: ${input.error}` });
        continue;
      }
      const { file } = input;
      params.onProgress?.({ event: "phase", phase: "check", message: `Checking ${file} (${position + 1}/${inputs.entries.length})` });
      const started = performance.now();
      try {
        const kind = await sniffKind(file);
        let check = kind === "image" ? await checkImage(file, shared) : await checkVideo(file, shared);
        check = { ...check, seconds: (performance.now() - started) / 1000 };
        if (params.outDir !== undefined) check = await report(await withFaceMaps(check, shared), params.outDir, reportNames);
        results.push(stripPixels(check));
      } catch (error) {
        if (error instanceof CancelledError || error instanceof InvalidExportError || !(error instanceof StudioError)) throw error;
        results.push({ file, error: error.message, code: error.code, ...(error.hint ? { hint: error.hint } : {}), ...(error.hintParts ? { hintParts: error.hintParts } : {}) });
        params.onProgress?.({ event: "warning", message: `${file}: ${error.message}` });
      }
    }
  } finally {
    await session.release();
  }
  return results;
}

/** A checked input plus the pixels of its worst frames (dropped before it is returned). */
type CheckWithPixels = MediaCheck & { worstPixels?: WorstFramePixels[]; worstCrops?: ScoredCrop[] };

/** Streams a video through detection and scoring. */
async function checkVideo(file: string, shared: Shared): Promise<CheckWithPixels> {
  const { settings, options } = shared;
  const tools = await findFfmpeg({ ffmpegPath: shared.ffmpegPath });
  const info = await probeVideo({ file, tools, signal: options.signal });
  const warnings: string[] = [];
  const frames: CheckedFrame[] = [];
  const pending: Array<Promise<void>> = [];
  const worst = createWorstMoments<WorstPayload>({ count: settings.worstCount, minGapSeconds: Math.max(1, 2 / settings.fps) });
  const total = info.durationSeconds !== undefined ? Math.max(1, Math.ceil(info.durationSeconds * settings.fps)) : undefined;
  let size: [number, number] = [info.width, info.height];
  const paddedTimes: number[] = [];
  for await (const frame of readVideoFrames({ file, tools, info, fps: settings.fps, maxSide: settings.maxSide, signal: options.signal, onProblem: (message) => warnings.push(message) })) {
    size = [frame.width, frame.height];
    // A frame without a face gets the stills' second try: a face filling the frame (a close-up call) is found on a border-extended copy.
    const found = await detectStillFaces({ image: frame, detector: settings.detector, minScore: settings.minFaceScore, inputSize: FRAME_INPUT_SIZE, plausibleOnly: true });
    const { faces } = found;
    if (found.padded) paddedTimes.push(frame.time);
    const scored = scoreFrame({ index: frame.index, time: frame.time, faces, pixels: frame, shared, frames, worst });
    // Marked as handled now; a failed batch still surfaces through the Promise.all below.
    scored.catch(() => undefined);
    pending.push(scored);
    if (pending.length >= 64) {
      // Every so often the queue is run and settled, so a long video does not keep a promise per frame.
      await shared.scorer.flush();
      await Promise.all(pending.splice(0, pending.length));
    }
    options.onProgress?.({ event: "progress", phase: "check", done: frame.index + 1, total: total !== undefined ? Math.max(total, frame.index + 1) : undefined, message: `frames of ${path.basename(file)}` });
    throwIfAborted(options.signal, "check");
  }
  await shared.scorer.flush();
  await Promise.all(pending);
  if (paddedTimes.length > 0) warnings.push(`In ${paddedTimes.length} frame(s) (first at ${formatTimestamp(paddedTimes[0])}) the face fills the frame, so it was only found on a copy with an extended border; its crop repeats the edge pixels where it reaches past them.`);
  return finish({
    file,
    kind: "video",
    shared,
    frames,
    worst,
    warnings,
    video: { container: info.container, codec: info.codec, width: info.width, height: info.height, ...(info.durationSeconds !== undefined ? { durationSeconds: info.durationSeconds } : {}), ...(info.frameRate !== undefined ? { frameRate: info.frameRate } : {}), sampledFps: settings.fps, frameWidth: size[0], frameHeight: size[1] },
  });
}

/** A still image is one frame at time 0; a face that fills the picture gets a second, padded try. */
async function checkImage(file: string, shared: Shared): Promise<CheckWithPixels> {
  const decoded = await decodeImagePixels({ source: file });
  const warnings: string[] = [];
  const image = { data: decoded.data, width: decoded.width, height: decoded.height, channels: 3 as const };
  // One frame has time for more tries: the chosen detector, then on a border-extended copy, then the other detector.
  const detectors: FaceDetectorKind[] = shared.settings.detector === "fast" ? ["fast", "accurate"] : ["accurate"];
  let faces: DetectedFace[] = [];
  for (const detector of detectors) {
    const found = await detectStillFaces({ image, detector, minScore: shared.settings.minFaceScore, plausibleOnly: true });
    faces = found.faces;
    if (found.padded) warnings.push("The face fills the picture, so it was only found on a copy with an extended border; its crop repeats the edge pixels where it reaches past them.");
    if (faces.length > 0) break;
  }
  const frames: CheckedFrame[] = [];
  const worst = createWorstMoments<WorstPayload>({ count: shared.settings.worstCount, minGapSeconds: 0 });
  const done = scoreFrame({ index: 0, time: 0, faces, pixels: decoded, shared, frames, worst });
  done.catch(() => undefined);
  await shared.scorer.flush();
  await done;
  return finish({ file, kind: "image", shared, frames, worst, warnings });
}

/** Crops and queues every face of a frame; once scored, records the frame and offers it as a worst moment. */
function scoreFrame(args: {
  index: number;
  time: number;
  faces: DetectedFace[];
  pixels: Pixels;
  shared: Shared;
  frames: CheckedFrame[];
  worst: WorstMoments<WorstPayload>;
}): Promise<void> {
  const { shared, pixels } = args;
  const image = { data: pixels.data, width: pixels.width, height: pixels.height };
  const { margin, tta } = shared.settings;
  const crops: ScoredCrop[] = [];
  const scored = args.faces.map(async (face, index): Promise<CheckedFace> => {
    const plan = tta ? TTA_VIEWS : [{ scale: 1, flip: false }];
    const views = plan.map((view) => cropTrainingFace({ image, landmarks: face.landmarks, margin: margin * view.scale, flip: view.flip, size: shared.exported.preprocess.faceCrop?.size }));
    // Kept for the report's "where it looked" beside the face (the worst moments keep theirs; the others are dropped).
    crops[index] = views[0];
    // Every view shares the centre; the recorded square is the one at `margin` itself.
    const crop = { centre: views[0].centre, side: views[0].side / plan[0].scale };
    const outputs = await Promise.all(views.map((view) => shared.scorer.score(view)));
    const probabilities = outputs[0].map((_, label) => outputs.reduce((sum, output) => sum + output[label], 0) / outputs.length);
    return {
      box: face.box,
      detectorScore: face.score,
      crop: { centre: { x: round(crop.centre.x), y: round(crop.centre.y) }, side: round(crop.side) },
      probability: probabilities[shared.fake.index],
      probabilities: Object.fromEntries(shared.exported.labels.map((label, i) => [label, probabilities[i]])),
    };
  });
  return Promise.all(scored).then((faces) => {
    const frame: CheckedFrame = { index: args.index, time: round(args.time, 3), faces };
    args.frames[args.index] = frame;
    if (faces.length > 0) args.worst.offer({ time: frame.time, score: Math.max(...faces.map((face) => face.probability)), payload: { ...pixels, frame, crops } });
  });
}

/** Summary, verdict and the worst moments' pixels for the report. */
function finish(args: {
  file: string;
  kind: "video" | "image";
  shared: Shared;
  frames: CheckedFrame[];
  worst: WorstMoments<WorstPayload>;
  warnings: string[];
  video?: MediaCheck["video"];
}): CheckWithPixels {
  const { shared } = args;
  // Frames are filled in by index as their scores arrive; a gap can only come from a frame that never finished.
  const frames = args.frames.filter((frame): frame is CheckedFrame => frame !== undefined);
  const kept = args.worst.list();
  const worst: WorstMoment[] = kept.map(({ payload }) => {
    const faceIndex = payload.frame.faces.reduce((best, face, i, all) => (face.probability > all[best].probability ? i : best), 0);
    const face = payload.frame.faces[faceIndex];
    return { time: payload.frame.time, frameIndex: payload.frame.index, faceIndex, probability: face.probability, belowThreshold: face.probability < shared.settings.threshold, box: face.box };
  });
  const summary = summariseCheck({ frames, threshold: shared.settings.threshold, worst, smoothSeconds: args.kind === "video" ? shared.settings.smooth : 0 });
  const verdict = describeVerdict({ summary, threshold: shared.settings.threshold, fakeLabel: shared.fake.label, validationErrorRate: shared.model.validationErrorRate, validImages: shared.model.validImages, kind: args.kind });
  if (summary.framesWithoutFaces > 0 && args.kind === "video" && summary.faces > 0) {
    const gaps = summary.noFaceRanges.slice(0, 3).map((range) => formatTimestamp(range.start) + (range.frames > 1 ? `–${formatTimestamp(range.end)}` : "")).join(", ");
    args.warnings.push(`${summary.framesWithoutFaces} of ${summary.frames} sampled frames had no face (${gaps}${summary.noFaceRanges.length > 3 ? ", …" : ""}); they were not scored.`);
  }
  return {
    file: args.file,
    kind: args.kind,
    ...(args.video ? { video: args.video } : {}),
    model: shared.model,
    detector: shared.settings.detector,
    minFaceScore: shared.settings.minFaceScore,
    threshold: shared.settings.threshold,
    margin: shared.settings.margin,
    tta: shared.settings.tta,
    frames,
    summary,
    verdict,
    warnings: args.warnings,
    seconds: 0,
    worstPixels: kept.map(({ payload }) => ({ data: payload.data, width: payload.width, height: payload.height, faces: payload.frame.faces })),
    worstCrops: kept.map(({ payload }, rank) => payload.crops[worst[rank].faceIndex]),
  };
}

/**
 * The report's worst moments get the face as the model saw it and where it looked (the fake label's map, the
 * landmarks' box as the face): computed only for a written report, one run of one crop each.
 */
async function withFaceMaps(check: CheckWithPixels, shared: Shared): Promise<CheckWithPixels> {
  if (!check.worstPixels || !check.worstCrops) return check;
  const [height, width] = shared.exported.preprocess.size;
  const worstPixels = await Promise.all(check.worstPixels.map(async (pixels, rank): Promise<WorstFramePixels> => {
    const crop = check.worstCrops?.[rank];
    const drawn = crop ? await shared.scorer.mapOf(crop, shared.fake.index) : undefined;
    if (!crop || !drawn) return pixels;
    const face = crop.landmarks ? landmarksBox(crop.landmarks, crop.size, crop.size) : undefined;
    const faceShare = face ? massShareInside(drawn.map, height, width, face) : undefined;
    return { ...pixels, faceMap: { input: drawn.input, map: drawn.map, height, width, ...(face ? { face } : {}), ...(faceShare !== undefined ? { faceShare } : {}) } };
  }));
  return { ...check, worstPixels };
}

/** Writes `<outDir>/<name>/`, a distinct safe name per input. */
async function report(check: CheckWithPixels, outDir: string, used: Set<string>): Promise<CheckWithPixels> {
  let base: string;
  try {
    base = labelToFolderName(path.basename(check.file));
  } catch {
    base = "input";
  }
  let name = base;
  for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base}-${n}`;
  used.add(name.toLowerCase());
  const { worstPixels, worstCrops, ...plain } = check;
  void worstCrops;
  return writeCheckReport({ dir: path.join(outDir, name), check: plain, worstFrames: worstPixels ?? [] });
}

/** Where the threshold came from: the caller, the export's decision threshold (for the same fake label), or the 0.5 default. */
function thresholdSourceOf(given: number | undefined, exported: LoadedExport, fakeLabel: string): NonNullable<CheckModel["thresholdSource"]> {
  if (given !== undefined) return "given";
  return exported.decision?.label === fakeLabel ? "export" : "default";
}

/** The result without the kept pixels. */
function stripPixels(check: CheckWithPixels): MediaCheck {
  const { worstPixels, worstCrops, ...plain } = check;
  void worstPixels;
  void worstCrops;
  return plain;
}

/** JPEG, PNG and WebP are stills (decoded by sharp, as predict does); everything else goes to ffprobe, which says what it is. */
async function sniffKind(file: string): Promise<"image" | "video"> {
  const handle = await fs.open(file, "r").catch(() => undefined);
  if (!handle) return "video";
  try {
    const head = Buffer.alloc(12);
    // A file that cannot be read is left to ffprobe, which says why in words.
    const bytesRead = await handle.read(head, 0, 12, 0).then((read) => read.bytesRead, () => 0);
    if (bytesRead >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "image";
    if (bytesRead >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image";
    if (bytesRead >= 12 && head.toString("latin1", 0, 4) === "RIFF" && head.toString("latin1", 8, 12) === "WEBP") return "image";
    return "video";
  } finally {
    await handle.close();
  }
}

/** Fills in defaults and refuses settings that cannot give a meaningful check. */
function validate(params: CheckMediaParams): Shared["settings"] {
  const settings = {
    fps: params.fps ?? DEFAULTS.fps,
    threshold: params.threshold ?? DEFAULTS.threshold,
    detector: params.detector ?? DEFAULTS.detector,
    minFaceScore: params.minFaceScore ?? DEFAULTS.minFaceScore,
    margin: params.margin ?? DEFAULTS.margin,
    maxSide: params.maxSide ?? DEFAULTS.maxSide,
    worstCount: params.worstCount ?? DEFAULTS.worstCount,
    tta: params.tta ?? DEFAULTS.tta,
    smooth: params.smooth ?? DEFAULTS.smooth,
  };
  const check = (ok: boolean, message: string, hint: string): void => {
    if (!ok) throw new StudioError(message, "invalid-argument", hint);
  };
  check(Number.isFinite(settings.fps) && settings.fps >= 0.05 && settings.fps <= 30, `fps must be a number from 0.05 to 30, got ${settings.fps}.`, "2 frames per second catches a swap that lasts a second; use more for short clips.");
  check(Number.isFinite(settings.threshold) && settings.threshold > 0 && settings.threshold < 1, `threshold must be a number between 0 and 1, got ${settings.threshold}.`, "0.5 flags a face the model finds more likely fake than not.");
  check(settings.detector === "fast" || settings.detector === "accurate", `detector must be "fast" or "accurate", got "${String(settings.detector)}".`, "Use fast for videos, accurate for stills.");
  check(Number.isFinite(settings.minFaceScore) && settings.minFaceScore >= 0.05 && settings.minFaceScore < 1, `minFaceScore must be a number from 0.05 to below 1, got ${settings.minFaceScore}.`, "0.5 keeps the faces the detector is sure of; lower it only when real faces are missed.");
  check(Number.isFinite(settings.margin) && settings.margin >= 1 && settings.margin <= 4, `margin must be a number from 1 to 4, got ${settings.margin}.`, `${TRAINING_MARGIN} matches the reference dataset's training crops.`);
  check(Number.isInteger(settings.maxSide) && settings.maxSide >= 64 && settings.maxSide <= 4096, `maxSide must be a whole number from 64 to 4096, got ${settings.maxSide}.`, "640 keeps call-sized faces large enough for the detector.");
  check(Number.isInteger(settings.worstCount) && settings.worstCount >= 0 && settings.worstCount <= 50, `worstCount must be a whole number from 0 to 50, got ${settings.worstCount}.`, "6 worst moments fit on one page.");
  check(Number.isFinite(settings.smooth) && settings.smooth >= 0 && settings.smooth <= 60, `smooth must be a number of seconds from 0 to 60, got ${settings.smooth}.`, "3 s ignores a single spiking frame but keeps a swap held for 2 s or more; 0 turns smoothing off.");
  if (params.inputs.length === 0) throw new StudioError("No files to check were given.", "invalid-argument", "Pass video (MP4, MOV, WebM, MKV) or image (JPEG, PNG) files.");
  return settings;
}

function round(value: number, places = 2): number {
  return Math.round(value * 10 ** places) / 10 ** places;
}
