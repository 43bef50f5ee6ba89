/** `import`: run a local folder of images (an auditor's own photos) through the same verify/resize/dedupe/manifest pipeline. */
import { constants as fsConstants, promises as fs } from "node:fs";
import * as path from "node:path";
import { faceCropSettings } from "../face-crop/face-crop-settings";
import { DatasetWriter, type ImageOrigin } from "../dataset/dataset-writer";
import { countFailure, describeIgnored, ingestImage, newCategoryReport, type CategoryReport, type IgnoreReason, type IngestReport } from "../dataset/ingest-image";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { describeFsError, StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { runBounded } from "../shared/run-bounded";

export interface ImportFolderParams extends OperationOptions {
  projectDir: string;
  config: ProjectConfig;
  /** The folder to read (recursively). */
  folder: string;
  /** An existing category label. */
  label: string;
  /** Largest file read, in bytes (default: the download cap). */
  maxBytes?: number;
  /** Extra provenance per file (e.g. which package photo a generated image came from), recorded in the manifest. */
  describe?: (file: string) => Pick<ImageOrigin, "title" | "pageUrl"> | undefined;
}

/** Imports every readable image under `folder` as `label`; files already imported are skipped. */
export async function importFolder(params: ImportFolderParams): Promise<IngestReport> {
  const { config, label, signal, onProgress } = params;
  if (!config.categories.some((category) => category.label === label)) {
    throw new StudioError(`No category "${label}" in deepfake-studio.json.`, "unknown-category", `Use one of ${config.categories.map((c) => `"${c.label}"`).join(", ")}, or add the category to deepfake-studio.json first.`);
  }
  const dataDir = resolveDataDir(params.projectDir, config);
  const folder = path.resolve(params.folder);
  await checkSourceFolder(folder, dataDir);
  const writer = await DatasetWriter.open(dataDir, { faceCrop: config.faceCrop, dedupe: config.dedupe });
  const { files, ignored } = await listFiles(folder);
  const row = newCategoryReport(label);
  const report: IngestReport = { categories: [row], conflicts: [] };
  row.found = files.length;
  row.ignored = ignored;
  const todo = files.filter((file) => !writer.isKnown(file));
  row.alreadyKnown = files.length - todo.length;
  const leftOut = describeIgnored(ignored);
  onProgress?.({ event: "phase", phase: "import", message: `Importing ${todo.length} files from ${folder} as ${label} (${row.alreadyKnown} already known)…` });
  if (leftOut) onProgress?.({ event: "warning", message: `Not read: ${leftOut}.` });
  if (files.length === 0) onProgress?.({ event: "warning", message: `${folder} holds no file to import${leftOut ? "" : " (it is empty)"}.` });
  const maxBytes = params.maxBytes ?? config.download.maxBytes;
  const faceCrop = config.faceCrop ? faceCropSettings(config) : undefined;
  let done = 0;
  await runBounded(todo, 4, async (file) => {
    const bytes = await readCapped(file, maxBytes);
    if (typeof bytes === "string") {
      countFailure(row, bytes);
      if (bytes !== "too-large") onProgress?.({ event: "warning", message: `${file} was skipped: ${READ_FAILURE_WORDS[bytes]}.` });
    } else {
      row.fetched += 1;
      await ingestImage({ writer, bytes, label, origin: { source: "import", originalPath: file, ...params.describe?.(file) }, resizeMax: config.resizeMax, report: row, conflicts: report.conflicts, faceCrop });
    }
    done += 1;
    onProgress?.({ event: "progress", phase: "import", done, total: todo.length, message: label });
  }, signal);
  throwIfAborted(signal, "import");
  row.total = writer.countByLabel().get(label) ?? 0;
  return report;
}

async function checkSourceFolder(folder: string, dataDir: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(folder);
  } catch {
    throw new StudioError(`The folder ${folder} does not exist.`, "import-folder-missing", "Check the path you gave to import.");
  }
  if (!stat.isDirectory()) throw new StudioError(`${folder} is not a folder.`, "import-folder-missing", "Give the folder that holds the images.");
  const relative = path.relative(dataDir, folder);
  if (relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative))) {
    throw new StudioError(`${folder} is inside the project's data folder.`, "import-from-dataset", "Import from a folder outside the data folder; images inside it already belong to the dataset.");
  }
}

/** Every regular file below `folder` in a stable order, and how many other entries were left out and why. */
async function listFiles(folder: string): Promise<{ files: string[]; ignored: CategoryReport["ignored"] }> {
  const entries = await fs.readdir(folder, { withFileTypes: true, recursive: true });
  const files: string[] = [];
  const ignored: Partial<Record<IgnoreReason, number>> = {};
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    const file = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    const reason: IgnoreReason | undefined = path.relative(folder, file).split(path.sep).some((part) => part.startsWith("."))
      ? "hidden"
      : entry.isSymbolicLink()
        ? "symbolic-link"
        : entry.isFile()
          ? undefined
          : "not-a-file";
    if (reason) ignored[reason] = (ignored[reason] ?? 0) + 1;
    else files.push(file);
  }
  return { files: files.sort(), ignored };
}

type ReadFailure = "too-large" | "unreadable" | "vanished" | "symbolic-link";

const READ_FAILURE_WORDS: Record<Exclude<ReadFailure, "too-large">, string> = {
  unreadable: "it cannot be read (permission denied)",
  vanished: "it was deleted or moved while the import ran",
  "symbolic-link": "it was replaced by a symbolic link while the import ran (links are not followed)",
};

/**
 * Reads a file unless it is larger than the cap; returns a failure reason instead of throwing for anything that
 * concerns this one file, so the rest of the folder is still imported. The link is not followed (O_NOFOLLOW), so a
 * file swapped for a link after the listing is not read through it.
 */
async function readCapped(file: string, maxBytes: number): Promise<Buffer | ReadFailure> {
  let handle;
  try {
    // O_NONBLOCK: a file swapped for a named pipe must not hang the import on open.
    handle = await fs.open(file, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0));
  } catch (error) {
    return readFailure(error, file);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return "vanished";
    if (stat.size > maxBytes) return "too-large";
    return await handle.readFile();
  } catch (error) {
    return readFailure(error, file);
  } finally {
    await handle.close();
  }
}

function readFailure(error: unknown, file: string): ReadFailure {
  switch ((error as NodeJS.ErrnoException).code) {
    case "EACCES":
    case "EPERM":
      return "unreadable";
    case "ENOENT":
    case "ENOTDIR":
    case "EISDIR":
      return "vanished";
    case "ELOOP":
      return "symbolic-link";
    default:
      throw describeFsError(error, file);
  }
}
