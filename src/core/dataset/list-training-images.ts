/** fastai's get_image_files + parent_label: the images under dataDir/<label folder>/, sorted, each with its label. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { describeFsError } from "../shared/errors";
import { labelToFolderName } from "../shared/labels";

/** One image file found for training. */
export interface TrainingImage {
  /** Absolute path. */
  file: string;
  /** Relative to the data folder, forward slashes (the manifest's and predictions.json's `file`). */
  relative: string;
  label: string;
}

/** Extensions read as images (fastai's image_extensions, limited to what sharp decodes). */
const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".tif", ".tiff", ".avif", ".heic", ".heif"]);

/** Lists every image of every label, sorted by relative path (code-unit order, the same on every OS and locale). */
export async function listTrainingImages(params: { dataDir: string; labels: readonly string[] }): Promise<TrainingImage[]> {
  const images: TrainingImage[] = [];
  for (const label of params.labels) {
    const folder = path.join(params.dataDir, labelToFolderName(label));
    for (const file of await walk(folder)) {
      images.push({ file, relative: path.relative(params.dataDir, file).split(path.sep).join("/"), label });
    }
  }
  return images.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

/** Image files below `folder`, recursively; dot-files and dot-folders (in-progress writes, .tmp) are not data. */
async function walk(folder: string): Promise<string[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await fs.readdir(folder, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw describeFsError(error, folder);
  }
  const found: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(full)));
    else if (entry.isFile() && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) found.push(full);
  }
  return found;
}
