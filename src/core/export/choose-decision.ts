/**
 * The decision threshold `export` records: typed with --threshold, read off an evaluation of this very run for a
 * target false-positive rate (--max-fpr), or, asked for neither, the one training set on held-out real pictures for a
 * model of synthesized fakes only. An evaluation of another run, or with other labels, is refused: its scores say
 * nothing about this model.
 */
import { findLatestEvaluation, readEvaluation } from "../evaluate/read-evaluation";
import { thresholdForFpr } from "../shared/threshold-for-fpr";
import * as path from "node:path";
import { StudioError } from "../shared/errors";
import { resolveFakeLabel } from "../shared/resolve-fake-label";
import type { HeldOutThreshold } from "../train/run-files";
import type { DecisionThreshold } from "./export-format";

/** What the user asked for; all absent: the run's own threshold when it has one, else none (the arg-max decides). */
export interface DecisionRequest {
  /** The fake probability at or above which the fake label is decided. */
  threshold?: number;
  /** Target false-positive rate, read off an evaluation. */
  maxFpr?: number;
  /** The evaluation folder for maxFpr (default: the latest in `<project>/evaluation`). */
  evaluationDir?: string;
  /** The label that means manipulated (default: the evaluation's, else resolveFakeLabel's choice). */
  fakeLabel?: string;
}

/** Parameters of chooseDecision. */
export interface ChooseDecisionParams {
  request: DecisionRequest;
  labels: readonly string[];
  runId: string;
  projectDir: string;
  /** The run's own threshold (models of synthesized fakes only): recorded when the user asks for none. */
  heldOut?: HeldOutThreshold;
}

export async function chooseDecision(params: ChooseDecisionParams): Promise<DecisionThreshold | undefined> {
  const { request, labels } = params;
  if (request.threshold !== undefined && request.maxFpr !== undefined) {
    throw new StudioError("Pass either --threshold or --max-fpr, not both.", "invalid-argument", "--threshold sets the value; --max-fpr reads it off the last evaluation.");
  }
  if (request.threshold !== undefined) {
    if (!(Number.isFinite(request.threshold) && request.threshold > 0 && request.threshold < 1)) {
      throw new StudioError(`The threshold must be a probability between 0 and 1, got ${request.threshold}.`, "invalid-argument", "0.5 flags a picture the model finds more likely fake than not; higher flags fewer real pictures.");
    }
    return { label: resolveFakeLabel({ labels, requested: request.fakeLabel }).label, threshold: request.threshold, method: "given" };
  }
  if (request.maxFpr === undefined) {
    if (request.evaluationDir !== undefined) throw new StudioError("--evaluation only says where --max-fpr reads its threshold from.", "invalid-argument", "Add --max-fpr <rate>.");
    const { heldOut } = params;
    if (heldOut === undefined || !labels.includes(heldOut.label)) return undefined;
    return { label: heldOut.label, threshold: heldOut.threshold, method: "held-out-reals", maxFpr: heldOut.maxFpr, validation: { realPictures: heldOut.realPictures, fpr: heldOut.fpr } };
  }
  const evaluation = request.evaluationDir !== undefined ? await readEvaluation({ dir: request.evaluationDir }) : await findLatestEvaluation({ projectDir: params.projectDir });
  if (evaluation.model.runId !== params.runId) {
    throw new StudioError(`The evaluation in ${evaluation.dir} scored ${evaluation.model.runId ? `run ${evaluation.model.runId}` : "a model of unknown run"}, not run ${params.runId} that is being exported, so its threshold would not fit.`,
      "evaluation-mismatch", `Evaluate the export of run ${params.runId} first (deepfake-studio export, then deepfake-studio evaluate <folder>), or pass --evaluation <folder> or --threshold <p>.`);
  }
  if (JSON.stringify(evaluation.model.labels) !== JSON.stringify(labels)) {
    throw new StudioError(`The evaluation in ${evaluation.dir} was made with the labels ${JSON.stringify(evaluation.model.labels)}, not ${JSON.stringify(labels)}.`, "evaluation-mismatch", "Evaluate this export again.");
  }
  const label = evaluation.fakeLabel.label;
  if (request.fakeLabel !== undefined && resolveFakeLabel({ labels, requested: request.fakeLabel }).label !== label) {
    throw new StudioError(`The evaluation in ${evaluation.dir} measured "${label}" as the fake label, not "${request.fakeLabel}".`, "evaluation-mismatch", `Run evaluate with --fake-label "${request.fakeLabel}" first.`);
  }
  const scores = evaluation.pictures.map((picture) => picture.probability);
  const positives = evaluation.pictures.map((picture) => picture.fake);
  const chosen = thresholdForFpr({ scores, positives, maxFpr: request.maxFpr });
  if (!(chosen.threshold > 0 && chosen.threshold < 1)) {
    throw new StudioError(`On the evaluation in ${evaluation.dir}, no threshold between 0 and 1 keeps the false-positive rate at or below ${request.maxFpr} (it would be ${chosen.threshold}).`, "evaluation-threshold",
      "Pick a threshold yourself with --threshold <p>, or a larger --max-fpr.");
  }
  return {
    label,
    threshold: chosen.threshold,
    method: "max-fpr",
    maxFpr: request.maxFpr,
    evaluation: { name: path.basename(evaluation.dir), createdAt: evaluation.createdAt, pictures: evaluation.pictures.length, fpr: chosen.fpr, ...(chosen.tpr !== null ? { tpr: chosen.tpr } : {}) },
  };
}
