/** Reads and writes a cleaning's journal. Its paths are untrusted on the way back in: anyone can edit the file. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { describeFsError, StudioError } from "../shared/errors";
import { writeFileDurable } from "../shared/safe-files";
import { JOURNAL_FILE_NAME, TRASH_FOLDER_NAME, type CleaningJournal, type CleaningMove } from "./cleaning-decision";
import { splitDatasetPath } from "./dataset-path";
import type { HintPart } from "../shared/hint";

const recordSchema = z.object({ file: z.string(), label: z.string(), sha256: z.string() }).passthrough();
const journalSchema = z.object({
  batchId: z.string(),
  createdAt: z.string(),
  state: z.enum(["applying", "done"]).optional(),
  moves: z.array(z.object({
    action: z.enum(["delete", "relabel"]),
    from: z.string(),
    to: z.string(),
    fromLabel: z.string(),
    toLabel: z.string().optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    record: recordSchema.optional(),
  })),
  removedRecords: z.array(recordSchema).optional(),
});

/** Writes the journal so that it is on disk before the changes it describes (fsync of the file and its folder). */
export async function writeCleaningJournal(batchDir: string, journal: CleaningJournal): Promise<void> {
  await writeFileDurable(path.join(batchDir, JOURNAL_FILE_NAME), JSON.stringify(journal, null, 2));
}

/**
 * Reads data/.trash/<batch>/journal.json and refuses it unless every move goes between <label folder>/<file> and
 * .trash/<batch>/<label folder>/<file> of this data folder, through no symbolic link. Throws StudioError naming the
 * journal ("journal-damaged", "journal-untrusted").
 */
export async function readCleaningJournal(dataDir: string, batchDir: string): Promise<CleaningJournal> {
  const file = path.join(batchDir, JOURNAL_FILE_NAME);
  const batch = path.basename(batchDir);
  const hint: HintPart[] = [
    `If the pictures in ${batchDir} are yours, move them back into their label folders by hand, then delete that folder; `,
    { cliOnly: "`clean undo`" },
    { editorOnly: "“Undo last apply” in the Cleaner" },
    " then goes on with the cleaning before it.",
  ];
  const damaged = (why: string) => new StudioError(`The cleaning journal ${file} is damaged (${why}), so cleaning ${batch} cannot be undone automatically.`, "journal-damaged", hint);
  const untrusted = (why: string) => new StudioError(
    `The cleaning journal ${file} ${why}; a cleaning only moves pictures between <label folder>/<file> and ${TRASH_FOLDER_NAME}/${batch}/<label folder>/<file> of the data folder, so the journal was not used and nothing was restored.`,
    "journal-untrusted",
    hint,
  );

  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    throw describeFsError(error, file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw damaged(text.trim() === "" ? "it is empty" : "it is not valid JSON");
  }
  const parsed = journalSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw damaged(`it is not a cleaning journal: ${issue.path.length > 0 ? `its field ${issue.path.join(".")}` : "its content"} is missing or of the wrong kind`);
  }
  const journal = parsed.data as CleaningJournal;

  const seen = new Set<string>();
  for (const move of journal.moves) {
    const trashPrefix = `${TRASH_FOLDER_NAME}/${batch}/`;
    const toOk = move.action === "delete"
      ? move.to.startsWith(trashPrefix) && splitDatasetPath(move.to.slice(trashPrefix.length)) !== undefined
      : splitDatasetPath(move.to) !== undefined;
    for (const [relative, ok] of [[move.from, splitDatasetPath(move.from) !== undefined], [move.to, toOk]] as const) {
      if (!ok) throw untrusted(`names "${relative}", which is not a place a cleaning moves pictures to or from`);
      if (seen.has(relative)) throw untrusted(`names "${relative}" twice`);
      seen.add(relative);
    }
  }
  await refuseLinks(dataDir, journal.moves, untrusted);
  return journal;
}

/** A symbolic link anywhere on a journal's path (a label folder, the trash, the file) could lead out of the data folder. */
async function refuseLinks(dataDir: string, moves: CleaningMove[], untrusted: (why: string) => StudioError): Promise<void> {
  for (const relative of moves.flatMap((move) => [move.from, move.to])) {
    let at = dataDir;
    for (const part of relative.split("/")) {
      at = path.join(at, part);
      const stat = await fs.lstat(at).catch(() => undefined);
      if (!stat) break;
      if (stat.isSymbolicLink()) throw untrusted(`moves "${relative}" through the symbolic link ${at}`);
    }
  }
}
