/** Paths from the cleaner UI are untrusted: they must name an image file inside a label folder of the dataset. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { StudioError } from "../shared/errors";

/** Resolves `relative` inside `dataDir`, refusing traversal, absolute paths, links out and internal folders. */
export async function resolveDatasetFile(dataDir: string, relative: string): Promise<string> {
  const parts = relative.split(/[\\/]+/);
  if (path.isAbsolute(relative) || parts.length !== 2 || parts.some((part) => part === "" || part === "." || part === ".." || part.startsWith("."))) {
    throw new StudioError(`"${relative}" is not an image of the dataset (expected <label folder>/<file>).`, "path-outside-dataset");
  }
  const absolute = path.join(dataDir, ...parts);
  let real: string;
  try {
    real = await fs.realpath(absolute);
  } catch {
    throw new StudioError(`${relative} no longer exists in the dataset.`, "file-missing", "Refresh the cleaner: the file was moved or deleted.");
  }
  const realDataDir = await fs.realpath(dataDir);
  const inside = path.relative(realDataDir, real).split(path.sep);
  if (inside.length !== 2 || inside.some((part) => part === ".." || part.startsWith("."))) {
    throw new StudioError(`"${relative}" points outside the dataset.`, "path-outside-dataset");
  }
  return absolute;
}
