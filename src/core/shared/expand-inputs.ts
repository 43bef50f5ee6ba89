/** Turns the files and folders given to predict or check into the list of files to try, in a stable order. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { throwIfAborted } from "./errors";

/** One file to try; `fromFolder` files that turn out not to be what the step reads are skipped rather than reported. */
export interface InputFile {
  file: string;
  fromFolder: boolean;
  /** The folder given on the command line that this file was found in. */
  folder?: string;
}

/** Parameters of expandInputs. */
export interface ExpandInputsParams {
  inputs: readonly string[];
  signal?: AbortSignal;
  /** Named in the cancellation message (default "prediction"). */
  operation?: string;
  /** A folder below a given one is not entered when this returns true for the names in it (e.g. a report folder of ours). */
  skipFolder?: (names: readonly string[]) => boolean;
}

/**
 * Expands folders recursively (files sorted by name, dot-files and dot-folders skipped, symlinked folders not
 * followed so a loop cannot hang us); anything else, including a missing path, is passed on as a file so that
 * its problem is reported on its own entry. Whether a file is usable is decided later, by the step reading it.
 */
export async function expandInputs(params: ExpandInputsParams): Promise<InputFile[]> {
  const files: InputFile[] = [];
  for (const input of params.inputs) {
    const stat = await fs.stat(input).catch(() => undefined);
    if (stat?.isDirectory()) files.push(...(await walk(input, input, params, true)));
    else files.push({ file: input, fromFolder: false });
  }
  return files;
}

/** Files below `folder`, depth first, sorted by name at each level. */
async function walk(folder: string, given: string, params: ExpandInputsParams, top: boolean): Promise<InputFile[]> {
  throwIfAborted(params.signal, params.operation ?? "prediction");
  const entries = await fs.readdir(folder, { withFileTypes: true }).catch(() => []);
  if (!top && params.skipFolder?.(entries.map((entry) => entry.name))) return [];
  const sorted = entries.filter((entry) => !entry.name.startsWith(".")).sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  const files: InputFile[] = [];
  for (const entry of sorted) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full, given, params, false)));
    else if (entry.isFile()) files.push({ file: full, fromFolder: true, folder: given });
    else if (entry.isSymbolicLink() && (await fs.stat(full).catch(() => undefined))?.isFile()) files.push({ file: full, fromFolder: true, folder: given });
  }
  return files;
}
