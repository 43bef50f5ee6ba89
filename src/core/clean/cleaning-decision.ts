/** What the cleaner (fastai's ImageClassifierCleaner) decides for one image; the core applies it. */
import type { ManifestRecord } from "../dataset/manifest";

export type CleaningDecision =
  | { file: string; action: "keep" }
  | { file: string; action: "delete" }
  | { file: string; action: "relabel"; label: string };

/** One file move that a cleaning plans and performs, recorded so it can be undone. */
export interface CleaningMove {
  action: "delete" | "relabel";
  /** Relative to the data folder, forward slashes: <label folder>/<file>. */
  from: string;
  /** Relative to the data folder: <label folder>/<file>, or .trash/<batch>/<label folder>/<file> for deletes. */
  to: string;
  fromLabel: string;
  toLabel?: string;
  /** sha256 of the file, so undo knows the picture it finds is the one that was moved (absent in older journals). */
  sha256?: string;
  /** The file's manifest line before the cleaning, put back by undo (absent when it had none, and in older journals). */
  record?: ManifestRecord;
}

/** The journal of one cleaning: data/.trash/<batch>/journal.json, on disk before the first file moves. */
export interface CleaningJournal {
  batchId: string;
  createdAt: string;
  /**
   * "applying" from before the first move until every move and the manifest are done, then "done". Undo handles
   * both: it puts back whatever it finds moved. Journals written before this field existed are complete.
   */
  state?: "applying" | "done";
  moves: CleaningMove[];
  /** Older journals only: manifest lines removed by deletes. */
  removedRecords?: ManifestRecord[];
}

export const TRASH_FOLDER_NAME = ".trash";
export const JOURNAL_FILE_NAME = "journal.json";
