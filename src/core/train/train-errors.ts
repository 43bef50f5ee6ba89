/** Errors training throws on purpose; each says what is wrong with the data and what to do about it. */
import { StudioError } from "../shared/errors";
import type { Hint } from "../shared/hint";

/** The images on disk cannot make a training set (too few categories, too few images per category or split). */
export class TrainingDataError extends StudioError {
  constructor(
    message: string,
    code: "too-few-categories" | "too-few-images" | "empty-split",
    hint?: Hint,
    /** Images per label (and per split when known), so a caller can show them without parsing the message. */
    readonly counts?: Record<string, number | { train: number; valid: number }>,
  ) {
    super(message, code, hint);
  }
}

/** The cached features would not fit in memory; refused before any work starts. */
export class DatasetTooLargeError extends StudioError {
  constructor(message: string, hint: string, readonly requiredBytes: number, readonly limitBytes: number) {
    super(message, "dataset-too-large", hint);
  }
}

/** A training setting (epochs, learning rate, …) is out of range. */
export class TrainSettingsError extends StudioError {
  constructor(message: string, hint?: Hint) {
    super(message, "train-settings-invalid", hint);
  }
}
