/** Applies the cleaner's decisions itself (fastai only returns indices): deletes go to a trash, relabels move files, the manifest follows. */
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { readManifest, writeManifest, type ManifestRecord } from "../dataset/manifest";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { describeFsError, StudioError } from "../shared/errors";
import { labelToFolderName } from "../shared/labels";
import { moveExclusive, syncFolder } from "../shared/safe-files";
import { JOURNAL_FILE_NAME, TRASH_FOLDER_NAME, type CleaningDecision, type CleaningJournal, type CleaningMove } from "./cleaning-decision";
import { writeCleaningJournal } from "./cleaning-journal";
import { resolveDatasetFile } from "./resolve-dataset-file";
import { unknownCategoryError } from "./unknown-category";

type Change = Exclude<CleaningDecision, { action: "keep" }>;

export interface ApplyCleaningResult {
  /** Undo it with undoLastCleaning; undefined when nothing was changed. */
  batchId?: string;
  deleted: number;
  relabelled: number;
  kept: number;
}

/**
 * Moves deleted images into data/.trash/<batch>/ and relabelled ones into their new label folder, never overwriting.
 * Every decision is checked before anything moves; the journal of all planned moves is on disk before the first one.
 * A failure part-way (a full disk) leaves that journal, and undoLastCleaning puts back whatever had moved.
 */
export async function applyCleaning(params: { projectDir: string; config: ProjectConfig; decisions: CleaningDecision[] }): Promise<ApplyCleaningResult> {
  const { config } = params;
  const dataDir = resolveDataDir(params.projectDir, config);
  const changes = await validate(dataDir, config, params.decisions);
  const result: ApplyCleaningResult = { deleted: 0, relabelled: 0, kept: params.decisions.length - changes.length };
  if (changes.length === 0) return result;

  const batchId = `${new Date().toISOString().replace(/[-:.TZ]/g, "").slice(0, 17)}-${randomBytes(3).toString("hex")}`;
  const batchDir = path.join(dataDir, TRASH_FOLDER_NAME, batchId);
  const journalFile = path.join(batchDir, JOURNAL_FILE_NAME);
  const journal = await plan(dataDir, config, batchId, changes);

  try {
    await fs.mkdir(batchDir, { recursive: true });
    // The trash and batch folders may be new: their entries are flushed too, or the journal could vanish with them.
    await syncFolder(dataDir);
    await syncFolder(path.dirname(batchDir));
    await writeCleaningJournal(batchDir, journal);
  } catch (error) {
    await fs.rm(batchDir, { recursive: true, force: true });
    const cause = describeFsError(error, journalFile);
    throw new StudioError(`Nothing was cleaned: ${cause.message}`, codeOf(cause), "Free some space (or make the data folder writable) and apply again.");
  }

  let moved = 0;
  try {
    for (const move of journal.moves) {
      let placed: boolean;
      try {
        placed = await moveExclusive(path.join(dataDir, move.from), path.join(dataDir, move.to));
      } catch (error) {
        throw describeFsError(error, path.join(dataDir, move.to));
      }
      if (!placed) throw new StudioError(`${move.to} appeared while the cleaning ran, so ${move.from} was not moved onto it.`, "cleaning-conflict");
      moved += 1;
    }
    await writeManifest(dataDir, followMoves(await readManifest(dataDir), journal.moves));
  } catch (error) {
    if (moved === 0) {
      await fs.rm(batchDir, { recursive: true, force: true });
      throw new StudioError(`Nothing was cleaned: ${(error as Error).message}`, codeOf(error), (error instanceof StudioError && error.hint) || "Fix that and apply again.");
    }
    const what = moved < journal.moves.length ? `after moving ${moved} of ${journal.moves.length} picture(s)` : "after moving every picture, before the manifest was updated";
    throw new StudioError(
      `The cleaning stopped ${what}: ${(error as Error).message}`,
      codeOf(error),
      [`Nothing is lost: ${journalFile} lists every move. Fix that (free some space), then `, { cliOnly: "run `deepfake-studio clean undo`" }, { editorOnly: "click “Undo last apply” in the Cleaner" }, " to put the moved pictures back, and apply again."],
    );
  }

  // Only a marker now: undo treats an "applying" journal the same way, so a disk that filled up just now loses nothing.
  await writeCleaningJournal(batchDir, { ...journal, state: "done" }).catch(() => undefined);
  for (const move of journal.moves) {
    if (move.action === "delete") result.deleted += 1;
    else result.relabelled += 1;
  }
  return { ...result, batchId };
}

/** Checks every decision before anything moves; returns the changes (not keeps) with their paths in normal form. */
async function validate(dataDir: string, config: ProjectConfig, decisions: CleaningDecision[]): Promise<Change[]> {
  const labels = config.categories.map((category) => category.label);
  const seen = new Map<string, string>();
  const changes: Change[] = [];
  for (const decision of decisions) {
    // Keeps change nothing, so a kept file that vanished meanwhile is no reason to refuse the rest.
    if (decision.action === "keep") continue;
    const { relative } = await resolveDatasetFile(dataDir, decision.file);
    const earlier = seen.get(relative);
    if (earlier !== undefined) {
      throw new StudioError(`${relative} has two decisions${earlier !== decision.file ? ` (as "${earlier}" and "${decision.file}")` : ""}.`, "cleaning-conflict", "Choose one action per image.");
    }
    seen.set(relative, decision.file);
    if (decision.action === "relabel" && !labels.includes(decision.label)) throw unknownCategoryError(config, decision.label, `Cannot relabel ${relative}`);
    // Relabelling a picture to the label it already has changes nothing.
    if (decision.action === "relabel" && labelToFolderName(decision.label) === relative.split("/")[0]) continue;
    changes.push({ ...decision, file: relative });
  }
  return changes;
}

/** The journal of the moves to make: targets that are free now and distinct, each file's hash and manifest line. */
async function plan(dataDir: string, config: ProjectConfig, batchId: string, changes: Change[]): Promise<CleaningJournal> {
  const folderToLabel = new Map(config.categories.map((category) => [labelToFolderName(category.label), category.label]));
  const records = new Map<string, ManifestRecord>();
  for (const record of await readManifest(dataDir)) if (!records.has(record.file)) records.set(record.file, record);
  const taken = new Set(changes.map((change) => change.file));
  const moves: CleaningMove[] = [];
  for (const change of changes) {
    const [fromFolder, fileName] = change.file.split("/");
    const target = change.action === "delete"
      ? `${TRASH_FOLDER_NAME}/${batchId}/${fromFolder}/${fileName}`
      : `${labelToFolderName(change.label)}/${fileName}`;
    const to = await freeName(dataDir, target, taken);
    taken.add(to);
    const record = records.get(change.file);
    moves.push({
      action: change.action,
      from: change.file,
      to,
      fromLabel: folderToLabel.get(fromFolder) ?? fromFolder,
      ...(change.action === "relabel" ? { toLabel: change.label } : {}),
      sha256: await sha256File(path.join(dataDir, change.file)),
      ...(record ? { record } : {}),
    });
  }
  return { batchId, createdAt: new Date().toISOString(), state: "applying", moves };
}

/** `target`, or target-1, target-2, … : the first name that no file has and no other planned move uses. */
async function freeName(dataDir: string, target: string, taken: Set<string>): Promise<string> {
  const extension = path.posix.extname(target);
  const stem = target.slice(0, target.length - extension.length);
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const candidate = attempt === 0 ? target : `${stem}-${attempt}${extension}`;
    if (taken.has(candidate)) continue;
    if (!(await fs.lstat(path.join(dataDir, candidate)).then(() => true, () => false))) return candidate;
  }
  throw new StudioError(`No free name for ${target}.`, "no-free-name", "Rename some of the files of that name and apply again.");
}

/** Moves `from` to `target` (relative to the data folder), adding -1, -2, … to the name when it is taken; returns the path used. */
export async function moveWithoutOverwrite(dataDir: string, from: string, target: string): Promise<string> {
  const extension = path.posix.extname(target);
  const stem = target.slice(0, target.length - extension.length);
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const candidate = attempt === 0 ? target : `${stem}-${attempt}${extension}`;
    try {
      if (await moveExclusive(path.join(dataDir, from), path.join(dataDir, candidate))) return candidate;
    } catch (error) {
      throw describeFsError(error, path.join(dataDir, candidate));
    }
  }
  throw new StudioError(`No free name for ${target}.`, "no-free-name", "Rename some of the files of that name and try again.");
}

/** The manifest after the moves: relabelled lines follow their file, deleted lines go (the journal keeps them). */
function followMoves(records: ManifestRecord[], moves: CleaningMove[]): ManifestRecord[] {
  const byFile = new Map(moves.map((move) => [move.from, move]));
  return records.flatMap((record) => {
    const move = byFile.get(record.file);
    if (!move) return [record];
    return move.action === "delete" ? [] : [{ ...record, file: move.to, label: move.toLabel ?? record.label }];
  });
}

function codeOf(error: unknown): string {
  return error instanceof StudioError ? error.code : "cleaning-failed";
}

export async function sha256File(file: string): Promise<string> {
  return createHash("sha256").update(await fs.readFile(file)).digest("hex");
}
