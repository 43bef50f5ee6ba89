/** Applies the cleaner's decisions itself (fastai only returns indices): deletes go to a trash, relabels move files, the manifest follows. */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { readManifest, writeManifest, type ManifestRecord } from "../dataset/manifest";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { describeFsError, StudioError } from "../shared/errors";
import { labelToFolderName } from "../shared/labels";
import { moveExclusive } from "../shared/safe-files";
import { JOURNAL_FILE_NAME, TRASH_FOLDER_NAME, type CleaningDecision, type CleaningJournal, type CleaningMove } from "./cleaning-decision";
import { resolveDatasetFile } from "./resolve-dataset-file";

export interface ApplyCleaningResult {
  /** Undo it with undoLastCleaning; undefined when nothing was changed. */
  batchId?: string;
  deleted: number;
  relabelled: number;
  kept: number;
}

/** Moves deleted images into data/.trash/<batch>/ and relabelled ones into their new label folder, never overwriting. */
export async function applyCleaning(params: { projectDir: string; config: ProjectConfig; decisions: CleaningDecision[] }): Promise<ApplyCleaningResult> {
  const { config } = params;
  const dataDir = resolveDataDir(params.projectDir, config);
  const folderToLabel = new Map(config.categories.map((category) => [labelToFolderName(category.label), category.label]));
  const changes = params.decisions.filter((decision) => decision.action !== "keep");
  const result: ApplyCleaningResult = { deleted: 0, relabelled: 0, kept: params.decisions.length - changes.length };
  if (changes.length === 0) return result;
  await validate(dataDir, changes, folderToLabel);

  const batchId = `${new Date().toISOString().replace(/[-:.TZ]/g, "").slice(0, 14)}-${randomBytes(3).toString("hex")}`;
  const batchDir = path.join(dataDir, TRASH_FOLDER_NAME, batchId);
  const journal: CleaningJournal = { batchId, createdAt: new Date().toISOString(), moves: [], removedRecords: [] };
  await fs.mkdir(batchDir, { recursive: true });
  try {
    for (const decision of changes) {
      const fromFolder = decision.file.split(/[\\/]/)[0];
      const fileName = path.basename(decision.file);
      const target = decision.action === "delete"
        ? path.join(TRASH_FOLDER_NAME, batchId, fromFolder, fileName)
        : path.join(labelToFolderName(decision.label), fileName);
      const to = await moveWithoutOverwrite(dataDir, decision.file, target);
      const move: CleaningMove = { action: decision.action, from: toPosix(decision.file), to, fromLabel: folderToLabel.get(fromFolder) ?? fromFolder, ...(decision.action === "relabel" ? { toLabel: decision.label } : {}) };
      journal.moves.push(move);
      // The journal is rewritten after every move, so an interrupted apply can still be undone.
      await writeJournal(batchDir, journal);
      if (decision.action === "delete") result.deleted += 1;
      else result.relabelled += 1;
    }
  } finally {
    await followInManifest(dataDir, journal);
    await writeJournal(batchDir, journal);
  }
  return { ...result, batchId };
}

async function validate(dataDir: string, changes: CleaningDecision[], folderToLabel: Map<string, string>): Promise<void> {
  const seen = new Set<string>();
  for (const decision of changes) {
    await resolveDatasetFile(dataDir, decision.file);
    if (seen.has(decision.file)) throw new StudioError(`${decision.file} has two decisions.`, "cleaning-conflict", "Choose one action per image.");
    seen.add(decision.file);
    if (decision.action === "relabel" && ![...folderToLabel.values()].includes(decision.label)) {
      throw new StudioError(`Cannot relabel ${decision.file} as "${decision.label}": no such category.`, "unknown-category", `Use one of ${[...folderToLabel.values()].map((label) => `"${label}"`).join(", ")}.`);
    }
  }
}

/** Moves `from` to `target`, adding -1, -2, … to the name when it is taken; returns the path used. */
export async function moveWithoutOverwrite(dataDir: string, from: string, target: string): Promise<string> {
  const extension = path.extname(target);
  const stem = target.slice(0, target.length - extension.length);
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const candidate = attempt === 0 ? target : `${stem}-${attempt}${extension}`;
    try {
      if (await moveExclusive(path.join(dataDir, from), path.join(dataDir, candidate))) return toPosix(candidate);
    } catch (error) {
      throw describeFsError(error, path.join(dataDir, candidate));
    }
  }
  throw new StudioError(`No free name for ${target}.`, "no-free-name");
}

/** Rewrites the manifest for the moves made: relabelled lines follow their file, deleted lines go to the journal. */
async function followInManifest(dataDir: string, journal: CleaningJournal): Promise<void> {
  if (journal.moves.length === 0) return;
  const byFile = new Map(journal.moves.map((move) => [move.from, move]));
  const records = await readManifest(dataDir);
  const kept: ManifestRecord[] = [];
  for (const record of records) {
    const move = byFile.get(record.file);
    if (!move) kept.push(record);
    else if (move.action === "delete") journal.removedRecords.push(record);
    else kept.push({ ...record, file: move.to, label: move.toLabel ?? record.label });
  }
  await writeManifest(dataDir, kept);
}

async function writeJournal(batchDir: string, journal: CleaningJournal): Promise<void> {
  const file = path.join(batchDir, JOURNAL_FILE_NAME);
  await fs.writeFile(`${file}.part`, JSON.stringify(journal, null, 2));
  await fs.rename(`${file}.part`, file);
}

function toPosix(file: string): string {
  return file.split(path.sep).join("/");
}
