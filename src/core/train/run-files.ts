/**
 * The files a training run leaves in runs/<run-id>/: the contract between train, the cleaner, export and predict.
 * Every file is written once, atomically (the run folder is assembled under runs/.tmp-<id> and renamed).
 */
import type { ShortcutAudit } from "../audit/shortcut-audit";
import type { TapPooling } from "../backbone/known-backbones";
import type { FaceCropSettings } from "../face-crop/face-crop-settings";
import type { ResampleKernel } from "../shared/load-image-tensor";
import type { TEST_TIME_RECIPE } from "../shared/test-time-views";

/** runs/<id>/head.json: everything needed to rebuild the classifier on top of the backbone. */
export interface RunHead {
  labels: string[];
  featureLength: number;
  /** Per-feature standardisation computed on the training split: x' = (x - mean) / std. */
  mean: number[];
  std: number[];
  /** Dense layer, row-major featureLength x labels.length. */
  weights: number[];
  bias: number[];
  backbone: RunBackbone;
  preprocess: Preprocess;
}

/** Which backbone a model was trained from (the docs must say which one). */
export interface RunBackbone {
  id: string;
  /** "url" | "file" | "offline". */
  kind: string;
  location: string;
  modelJsonSha256: string;
  taps: Array<{ layer: string; pooling: TapPooling[] }>;
}

/** How an image becomes the model's input; export/preprocess.json has the same shape. */
export interface Preprocess {
  /** [height, width] of the model input. */
  size: [number, number];
  /** fastai Resize(method='squish'): stretch to size, no crop. */
  resize: "squish";
  /** Resampling kernel used by the TypeScript side (sharp). */
  kernel: ResampleKernel;
  /** RGB, values 0..255, NHWC; the scaling to the backbone's range happens inside the ONNX graph. */
  channels: "RGB";
  range: [0, 255];
  layout: "NHWC";
  /** The backbone's own scaling x * scale + offset (applied inside model.onnx, recorded for reference). */
  scaling: { scale: number; offset: number };
  /** Present when a per-channel (x - mean) / std follows the scaling (torchvision's ImageNet networks; inside model.onnx too). */
  normalize?: { mean: number[]; std: number[] };
  /** Present when the model was trained on face crops: every picture must be cropped this way before the steps above. */
  faceCrop?: FaceCropSettings;
  /**
   * Present when the model also reads the face's blending statistics (face-features/blend-statistics.ts) as a second
   * ONNX input `blend_statistics` [N, count]; `missing` is what to feed when no face is found (the training average).
   */
  blendStatistics?: { version: number; count: number; missing: number[] };
  /**
   * Present when the model also reads face contrasts (train.faceContrast): `taps` pooled "face-contrast", `count`
   * numbers after the backbone's features and before the blending statistics, read through the ONNX input
   * `face_regions` [N, 2, grid, grid] (face-features/face-regions.ts).
   */
  faceContrast?: { version: number; grid: number; count: number; taps: Array<{ layer: string; pooling: Array<"face-contrast"> }> };
  /**
   * Present when the model scores a picture as the mean of its logits over these views (shared/test-time-views.ts).
   * The views are made inside model.onnx: runners feed the picture as always and need do nothing about them.
   */
  testTimeViews?: { recipe: typeof TEST_TIME_RECIPE; views: Array<{ flip: boolean; zoom: number }> };
}

/** runs/<id>/metrics.json */
export interface RunMetrics {
  runId: string;
  createdAt: string;
  seed: number;
  validPct: number;
  epochs: EpochRecord[];
  /** Error rate on the validation split of the model kept (the epoch `keptEpoch`). */
  errorRate: number;
  /** The epoch whose weights were kept: the lowest validation loss. Absent in runs made before it was recorded (the last epoch). */
  keptEpoch?: number;
  confusion: { labels: string[]; /** matrix[actual][predicted] */ matrix: number[][] };
  counts: { train: Record<string, number>; valid: Record<string, number> };
  /** Wall-clock seconds per phase. */
  phases: { decode: number; features: number; head: number; total: number };
  /** Images that could not be read, skipped and listed. */
  unreadable: string[];
  /** Can face identity, picture size, border or JPEG bytes alone tell the classes apart? Absent with one category or in older runs. */
  audit?: ShortcutAudit;
  /** Same-person fakes synthesized from the real pictures (train.selfBlend), per split and label; not in `counts`. */
  synthesized?: { mode: "off" | "add" | "only"; /** Why the mode is not the project file's default (chooseDefaultSelfBlend). */ choice?: string; train: Record<string, number>; valid: Record<string, number> };
  /** Manipulation sensitivity: how many self-blends of the validation real pictures the head calls fake. */
  sameIdentityBlends?: SameIdentityBlends;
  /** Where the model looked on the validation pictures (class activation maps); absent when the faces' place is not known. */
  whereItLooked?: WhereItLooked;
  /** Runs whose every fake was synthesized (train.selfBlend "only"): the threshold export records unless told otherwise. */
  heldOutThreshold?: HeldOutThreshold;
}

/** The fake probability that flags at most `maxFpr` of the validation real pictures (train/held-out-threshold.ts). */
export interface HeldOutThreshold {
  label: string;
  threshold: number;
  maxFpr: number;
  /** Validation real pictures it was set on. */
  realPictures: number;
  /** Share of them it flags (≤ maxFpr). */
  fpr: number;
}

/** The validation pictures' activation maps measured against the face (train/where-it-looked.ts). */
export interface WhereItLooked {
  /** Validation pictures measured. */
  pictures: number;
  /** Mean share (0..1) of each map's positive mass inside the face box. */
  faceShare: number;
  /** Pictures whose map lies mostly (over half) outside the face. */
  mostlyElsewhere: number;
  /** In words, when the model looks mostly elsewhere. */
  warning?: string;
  /** What the map covers and how the face box is known. */
  note: string;
}

/** Self-blends of validation real pictures scored by the trained head (share null when none could be made). */
export interface SameIdentityBlends {
  fakeLabel: string | null;
  scored: number;
  flagged: number;
  share: number | null;
  /** The decision threshold they were flagged at (a synthesized-only run's heldOutThreshold); absent: the arg-max. */
  threshold?: number;
  /** Why nothing was scored. */
  note?: string;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  validLoss: number;
  errorRate: number;
  seconds: number;
}

/** runs/<id>/predictions.json: one entry per image, the cleaner's input. */
export interface RunPrediction {
  /** Relative to the data folder, forward slashes (same as the manifest's `file`). */
  file: string;
  split: "train" | "valid";
  label: string;
  predicted: string;
  probabilities: Record<string, number>;
  loss: number;
}
