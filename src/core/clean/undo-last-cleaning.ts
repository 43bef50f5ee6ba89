/** Undo of the last cleaning, finished or stopped part-way: files come back from the trash or their new label, the manifest too. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { readManifest, writeManifest, type ManifestRecord } from "../dataset/manifest";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { describeFsError, StudioError } from "../shared/errors";
import { JOURNAL_FILE_NAME, TRASH_FOLDER_NAME, type CleaningMove } from "./cleaning-decision";
import { readCleaningJournal, writeCleaningJournal } from "./cleaning-journal";
import { moveWithoutOverwrite, sha256File } from "./apply-cleaning";

export interface UndoCleaningResult {
  batchId: string;
  /** Pictures moved back. */
  restored: number;
  /** Pictures that could not go back to their old name (taken meanwhile) and were restored beside it: the names used. */
  renamed: string[];
  /** Pictures that could not be put back, each with the reason in words. */
  notRestored: Array<{ file: string; reason: string }>;
  /** The cleaning had stopped part-way (a full disk, a crash); pictures it had not moved yet were left where they are. */
  interrupted: boolean;
  /** Some pictures failed for a reason that may pass (a full disk): the journal is kept, so running undo again finishes. */
  canRetry: boolean;
}

type Outcome = { kind: "restored"; at: string } | { kind: "in-place" } | { kind: "lost"; reason: string } | { kind: "failed"; reason: string };

/**
 * Reverses the most recent cleaning batch: puts back every picture it finds moved, reports the ones it cannot in
 * words, never overwrites. Throws StudioError when there is nothing to undo or the journal is damaged or untrusted.
 */
export async function undoLastCleaning(params: { projectDir: string; config: ProjectConfig }): Promise<UndoCleaningResult> {
  const dataDir = resolveDataDir(params.projectDir, params.config);
  const batchDir = await latestBatch(dataDir);
  const journal = await readCleaningJournal(dataDir, batchDir);
  const manifest = await readManifest(dataDir);
  const result: UndoCleaningResult = { batchId: journal.batchId, restored: 0, renamed: [], notRestored: [], interrupted: journal.state === "applying", canRetry: false };
  const retry: CleaningMove[] = [];
  let records = manifest;
  for (const move of [...journal.moves].reverse()) {
    // Older journals keep no manifest line per move: a delete's is in removedRecords, a relabel's followed the file.
    const original = move.record
      ?? (move.action === "delete" ? journal.removedRecords?.find((record) => record.file === move.from) : manifest.find((record) => record.file === move.to));
    const outcome = await restore(dataDir, move);
    if (outcome.kind === "lost" || outcome.kind === "failed") {
      result.notRestored.push({ file: move.from, reason: outcome.reason });
      if (outcome.kind === "failed") retry.push(move);
      continue;
    }
    const at = outcome.kind === "restored" ? outcome.at : move.from;
    if (outcome.kind === "restored") {
      result.restored += 1;
      if (at !== move.from) result.renamed.push(at);
    }
    if (original) records = putBack(records, original, move, at);
  }
  result.canRetry = retry.length > 0;

  try {
    await writeManifest(dataDir, records);
  } catch (error) {
    throw new StudioError(
      `${result.restored} picture(s) were moved back, but the manifest could not be updated: ${(error as Error).message}`,
      error instanceof StudioError ? error.code : "manifest-unwritable",
      ["Fix that (free some space) and ", { cliOnly: "run `clean undo`" }, { editorOnly: "click “Undo last apply” in the Cleaner" }, " again: it finishes the job."],
    );
  }
  if (result.canRetry) {
    // Only the moves still to undo stay in the journal; if even that cannot be written, the old one is still right.
    await writeCleaningJournal(batchDir, { ...journal, moves: retry.reverse() }).catch(() => undefined);
  } else {
    await fs.rm(batchDir, { recursive: true, force: true });
  }
  return result;
}

/** Puts one picture back where it was, or says why not. */
async function restore(dataDir: string, move: CleaningMove): Promise<Outcome> {
  const toAbs = path.join(dataDir, ...move.to.split("/"));
  const fromAbs = path.join(dataDir, ...move.from.split("/"));
  try {
    const there = await fs.lstat(toAbs).catch(() => undefined);
    if (!there) {
      // Not where the cleaning put it: an interrupted cleaning never moved it, or an earlier undo already put it back.
      const origin = await fs.lstat(fromAbs).catch(() => undefined);
      if (origin?.isFile() && move.sha256 && (await sha256File(fromAbs)) === move.sha256) return { kind: "in-place" };
      const where = move.action === "delete" ? `it is no longer in the trash (${move.to}); it was removed from there by hand` : `it is no longer at ${move.to}, where the cleaning moved it`;
      return { kind: "lost", reason: where };
    }
    if (!there.isFile()) return { kind: "lost", reason: `${move.to} is not a file any more` };
    if (move.sha256 && (await sha256File(toAbs)) !== move.sha256) {
      return { kind: "lost", reason: `${move.to} now holds a different picture, which was left where it is` };
    }
    const origin = await fs.lstat(fromAbs).catch(() => undefined);
    if (origin && origin.ino === there.ino && origin.dev === there.dev) {
      // A stop between the link and the unlink of a move leaves the picture under both names.
      await fs.unlink(toAbs);
      return { kind: "restored", at: move.from };
    }
    return { kind: "restored", at: await moveWithoutOverwrite(dataDir, move.to, move.from) };
  } catch (error) {
    const described = describeFsError(error, fromAbs);
    const code = (error as NodeJS.ErrnoException).code;
    return { kind: "failed", reason: described instanceof StudioError ? described.message : `the file system refused (${code ?? described.message})` };
  }
}

/** The manifest with the picture's line back under its old label at `at`, and the line that followed it removed. */
function putBack(records: ManifestRecord[], original: ManifestRecord, move: CleaningMove, at: string): ManifestRecord[] {
  const others = records.filter((record) => !((record.file === move.to || record.file === at) && record.sha256 === original.sha256));
  return [...others, { ...original, file: at, label: move.record?.label ?? move.fromLabel }];
}

async function latestBatch(dataDir: string): Promise<string> {
  const trash = path.join(dataDir, TRASH_FOLDER_NAME);
  const batches = (await fs.readdir(trash).catch(() => [] as string[])).sort();
  for (const batch of batches.reverse()) {
    const dir = path.join(trash, batch);
    if (await fs.stat(path.join(dir, JOURNAL_FILE_NAME)).then(() => true, () => false)) return dir;
  }
  throw new StudioError("There is no cleaning to undo.", "nothing-to-undo");
}
