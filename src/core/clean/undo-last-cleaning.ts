/** Undo of the last applied cleaning: files come back from the trash or their new label, the manifest too. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { readManifest, writeManifest } from "../dataset/manifest";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { StudioError } from "../shared/errors";
import { JOURNAL_FILE_NAME, TRASH_FOLDER_NAME, type CleaningJournal } from "./cleaning-decision";
import { moveWithoutOverwrite } from "./apply-cleaning";

export interface UndoCleaningResult {
  batchId: string;
  restored: number;
  /** Files that could not go back to their old name (taken meanwhile) and were restored beside it. */
  renamed: string[];
}

/** Reverses the most recent cleaning batch; throws when there is nothing to undo. */
export async function undoLastCleaning(params: { projectDir: string; config: ProjectConfig }): Promise<UndoCleaningResult> {
  const dataDir = resolveDataDir(params.projectDir, params.config);
  const batchDir = await latestBatch(dataDir);
  const journal = JSON.parse(await fs.readFile(path.join(batchDir, JOURNAL_FILE_NAME), "utf8")) as CleaningJournal;
  const result: UndoCleaningResult = { batchId: journal.batchId, restored: 0, renamed: [] };
  const restoredTo = new Map<string, string>();
  for (const move of [...journal.moves].reverse()) {
    const at = await moveWithoutOverwrite(dataDir, move.to, move.from);
    restoredTo.set(move.to, at);
    if (at !== move.from) result.renamed.push(at);
    result.restored += 1;
  }
  const records = (await readManifest(dataDir)).map((record) => {
    const move = journal.moves.find((candidate) => candidate.action === "relabel" && candidate.to === record.file);
    return move ? { ...record, file: restoredTo.get(move.to) ?? move.from, label: move.fromLabel } : record;
  });
  for (const removed of journal.removedRecords) {
    const move = journal.moves.find((candidate) => candidate.from === removed.file);
    records.push({ ...removed, file: (move && restoredTo.get(move.to)) ?? removed.file });
  }
  await writeManifest(dataDir, records);
  await fs.rm(batchDir, { recursive: true, force: true });
  return result;
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
