/** What the cleaner (fastai's ImageClassifierCleaner) decides for one image; the core applies it. */
export type CleaningDecision =
  | { file: string; action: "keep" }
  | { file: string; action: "delete" }
  | { file: string; action: "relabel"; label: string };

/** One file move that a cleaning performed, recorded so it can be undone. */
export interface CleaningMove {
  action: "delete" | "relabel";
  /** Relative to the data folder, forward slashes. */
  from: string;
  /** Relative to the data folder (into .trash/<batch>/ for deletes). */
  to: string;
  fromLabel: string;
  toLabel?: string;
}

/** The journal of one applied cleaning: data/.trash/<batch>/journal.json. */
export interface CleaningJournal {
  batchId: string;
  createdAt: string;
  moves: CleaningMove[];
  /** Manifest lines removed by deletes, restored by undo. */
  removedRecords: import("../dataset/manifest").ManifestRecord[];
}

export const TRASH_FOLDER_NAME = ".trash";
export const JOURNAL_FILE_NAME = "journal.json";
