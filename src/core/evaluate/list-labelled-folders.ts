/**
 * Maps the folders given to evaluate onto the model's labels: each folder's sub-folders are named like the categories
 * (the label itself or its data-folder name, any case), or a folder given is itself named like one. A sub-folder
 * that names no label is refused (it would otherwise be scored against nothing); loose files are reported.
 */
import { promises as fs, type Dirent } from "node:fs";
import * as path from "node:path";
import { StudioError } from "../shared/errors";
import { labelToFolderName } from "../shared/labels";

/** A folder of pictures of one category. */
export interface LabelledFolder {
  dir: string;
  label: string;
}

/** Parameters of listLabelledFolders. */
export interface ListLabelledFoldersParams {
  folders: readonly string[];
  labels: readonly string[];
}

/** The labelled folders (each once, in the order given) and the files lying outside any of them. */
export async function listLabelledFolders(params: ListLabelledFoldersParams): Promise<{ folders: LabelledFolder[]; looseFiles: string[] }> {
  if (params.folders.length === 0) throw new StudioError("No folder to evaluate was given.", "invalid-argument", "Pass a folder with one sub-folder per category, e.g. test/ holding Real/ and Deepfake/.");
  const found = new Map<string, LabelledFolder>();
  const looseFiles: string[] = [];
  for (const given of params.folders) {
    const dir = path.resolve(given);
    const entries = await readFolder(dir);
    const subfolders = entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith("."));
    const matched = subfolders.map((entry) => ({ entry, label: matchLabel(entry.name, params.labels) }));
    const own = matchLabel(path.basename(dir), params.labels);
    if (matched.every(({ label }) => label === undefined) && own !== undefined) {
      found.set(dir, { dir, label: own });
      continue;
    }
    const unknown = matched.filter(({ label }) => label === undefined).map(({ entry }) => entry.name);
    if (unknown.length > 0 || matched.length === 0) {
      const names = params.labels.map((label) => `"${label}"`).join(", ");
      throw new StudioError(
        unknown.length > 0
          ? `${dir} has sub-folder(s) ${unknown.map((name) => `"${name}"`).join(", ")} that name none of the model's labels (${names}), so their pictures cannot be scored against a category.`
          : `${dir} has no sub-folder named like the model's labels (${names}).`,
        "evaluation-folders", "Put the pictures of each category in a sub-folder named like it (the label or its data/ folder name), or move the other folders out.");
    }
    for (const { entry, label } of matched) found.set(path.join(dir, entry.name), { dir: path.join(dir, entry.name), label: label as string });
    looseFiles.push(...entries.filter((entry) => entry.isFile() && !entry.name.startsWith(".")).map((entry) => path.join(dir, entry.name)));
  }
  return { folders: [...found.values()], looseFiles };
}

/** The label a folder name stands for: exactly, as its data-folder name, or either ignoring case. */
function matchLabel(name: string, labels: readonly string[]): string | undefined {
  const folded = name.normalize("NFC").toLowerCase();
  return labels.find((label) => label === name || safeFolderName(label) === name) ??
    labels.find((label) => label.toLowerCase() === folded || safeFolderName(label).toLowerCase() === folded);
}

function safeFolderName(label: string): string {
  try {
    return labelToFolderName(label);
  } catch {
    return label;
  }
}

async function readFolder(dir: string): Promise<Dirent[]> {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new StudioError(`There is no folder ${dir}.`, "evaluation-folders", "Pass a folder with one sub-folder per category.");
    if (code === "ENOTDIR") throw new StudioError(`${dir} is a file; evaluate takes folders with one sub-folder per category.`, "evaluation-folders");
    throw new StudioError(`The folder ${dir} cannot be read (${code ?? (error as Error).message}).`, "evaluation-folders", "Check its permissions.");
  }
}
