/** `import`: run a local folder of images (an auditor's own photos) through the same verify/resize/dedupe/manifest pipeline. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { faceCropSettings } from "../face-crop/face-crop-settings";
import { DatasetWriter, type ImageOrigin } from "../dataset/dataset-writer";
import { countFailure, ingestImage, newCategoryReport, type IngestReport } from "../dataset/ingest-image";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { describeFsError, StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { runBounded } from "../shared/run-bounded";
import { removeStaleTempFiles, TEMP_FOLDER_NAME } from "../shared/safe-files";

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
  await removeStaleTempFiles(path.join(dataDir, TEMP_FOLDER_NAME));
  const writer = await DatasetWriter.open(dataDir, { faceCrop: config.faceCrop });
  const files = await listFiles(folder);
  const row = newCategoryReport(label);
  const report: IngestReport = { categories: [row], conflicts: [] };
  row.found = files.length;
  const todo = files.filter((file) => !writer.isKnown(file));
  row.alreadyKnown = files.length - todo.length;
  onProgress?.({ event: "phase", phase: "import", message: `Importing ${todo.length} files from ${folder} as ${label} (${row.alreadyKnown} already known)…` });
  const maxBytes = params.maxBytes ?? config.download.maxBytes;
  const faceCrop = config.faceCrop ? faceCropSettings(config) : undefined;
  let done = 0;
  await runBounded(todo, 4, async (file) => {
    const bytes = await readCapped(file, maxBytes);
    if (typeof bytes === "string") {
      countFailure(row, bytes);
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

/** Every regular file below `folder`, hidden files and folders left out, in a stable order. */
async function listFiles(folder: string): Promise<string[]> {
  const entries = await fs.readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith("."))
    .map((entry) => path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name))
    .filter((file) => !path.relative(folder, file).split(path.sep).some((part) => part.startsWith(".")))
    .sort();
}

/** Reads a file unless it is larger than the cap; returns a failure reason instead of throwing. */
async function readCapped(file: string, maxBytes: number): Promise<Buffer | string> {
  try {
    const { size } = await fs.stat(file);
    if (size > maxBytes) return "too-large";
    return await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") return "unreadable";
    throw describeFsError(error, file);
  }
}
