/** Turns the files and folders given to predict into the list of files to try, in a stable order. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { throwIfAborted } from "../shared/errors";

/** One file to predict; `fromFolder` files that turn out not to be images are skipped rather than reported. */
export interface InputFile {
  file: string;
  fromFolder: boolean;
}

/**
 * Expands folders recursively (files sorted by name, dot-files and dot-folders skipped, symlinked folders not
 * followed so a loop cannot hang us); anything else, including a missing path, is passed on as a file so that
 * its problem is reported on its own entry. Whether a file is an image is decided later, by decoding it.
 */
export async function expandInputs(params: { inputs: readonly string[]; signal?: AbortSignal }): Promise<InputFile[]> {
  const files: InputFile[] = [];
  for (const input of params.inputs) {
    const stat = await fs.stat(input).catch(() => undefined);
    if (stat?.isDirectory()) files.push(...(await walk(input, params.signal)));
    else files.push({ file: input, fromFolder: false });
  }
  return files;
}

/** Files below `folder`, depth first, sorted by name at each level. */
async function walk(folder: string, signal: AbortSignal | undefined): Promise<InputFile[]> {
  throwIfAborted(signal, "prediction");
  const entries = await fs.readdir(folder, { withFileTypes: true }).catch(() => []);
  const sorted = entries.filter((entry) => !entry.name.startsWith(".")).sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  const files: InputFile[] = [];
  for (const entry of sorted) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full, signal)));
    else if (entry.isFile()) files.push({ file: full, fromFolder: true });
    else if (entry.isSymbolicLink() && (await fs.stat(full).catch(() => undefined))?.isFile()) files.push({ file: full, fromFolder: true });
  }
  return files;
}
