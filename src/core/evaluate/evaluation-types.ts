/** The result of an evaluation: what evaluation.json holds, the CLI prints and the VS Code panel shows. */
import type { DecisionThreshold } from "../export/export-format";
import type { FakeLabel } from "../shared/resolve-fake-label";
import type { BootstrapInterval } from "./bootstrap-interval";
import type { Calibration } from "./calibration";
import type { Confusion } from "./confusion-types";
import type { RocPoint } from "./roc-curve";
import type { FprThreshold } from "../shared/threshold-for-fpr";

/** evaluation.json `format`; bumped when a field changes meaning. */
export const EVALUATION_FORMAT = 1;

/** One scored picture. */
export interface EvaluatedPicture {
  file: string;
  /** The category its folder names. */
  label: string;
  /** Whether that category is the fake label. */
  fake: boolean;
  /** The model's probability of the fake label, as predict reports it. */
  probability: number;
  /** The label the model decides today (predict's label). */
  predicted: string;
}

/** A picture that could not be scored: no face (face-crop models) or unreadable. Counted and listed, never dropped. */
export interface UnscoredPicture {
  file: string;
  label: string;
  reason: "no-face" | "unreadable";
  error: string;
}

/** How the model decides today: by the export's threshold, or by the largest probability. */
export interface CurrentDecision {
  rule: "export-threshold" | "arg-max";
  /** The export's threshold (rule "export-threshold"). */
  threshold?: number;
  confusion: Confusion;
}

/** Per category: pictures found, scored, without a face, unreadable. */
export interface LabelCount {
  label: string;
  fake: boolean;
  folders: string[];
  scored: number;
  noFace: number;
  unreadable: number;
}

/** Files of a written evaluation, absolute paths. */
export interface EvaluationFiles {
  dir: string;
  json: string;
  markdown: string;
  /** Absent when the folders hold one class only (a ROC curve needs both). */
  rocSvg?: string;
  rocPng?: string;
  calibrationSvg: string;
  calibrationPng: string;
}

export interface Evaluation {
  format: typeof EVALUATION_FORMAT;
  createdAt: string;
  /** The folders given, absolute. */
  folders: string[];
  model: { dir: string; labels: string[]; runId?: string; backboneId?: string; decision?: DecisionThreshold; faceCrop: boolean };
  fakeLabel: FakeLabel;
  counts: { scored: number; fake: number; real: number; noFace: number; unreadable: number; perLabel: LabelCount[] };
  /** At the model's current decision. */
  accuracy: number | null;
  balancedAccuracy: number | null;
  current: CurrentDecision;
  /** Null (and `roc` empty) when the folders hold one class only: real pictures alone still measure false alarms. */
  auc: number | null;
  aucInterval: BootstrapInterval | null;
  roc: RocPoint[];
  /** The threshold for the target false-positive rate and the confusion matrix there; null without real pictures. */
  atMaxFpr: (FprThreshold & { confusion: Confusion }) | null;
  calibration: Calibration;
  pictures: EvaluatedPicture[];
  unscored: UnscoredPicture[];
  warnings: string[];
  files?: EvaluationFiles;
  seconds: number;
}
