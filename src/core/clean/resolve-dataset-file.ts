/** Paths from the cleaner UI are untrusted: they must name an image file inside a label folder of the dataset. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { StudioError } from "../shared/errors";
import { splitDatasetPath } from "./dataset-path";

/**
 * Resolves `relative` inside `dataDir`, refusing traversal, absolute paths, backslashes, links out, internal folders
 * and anything that is not a file. Returns the path in its one normal form (`Real/A.jpg` for `Real//A.jpg`), so two
 * spellings of one file are seen as the same file.
 */
export async function resolveDatasetFile(dataDir: string, relative: string): Promise<{ relative: string; absolute: string }> {
  if (relative.includes("\\")) {
    throw new StudioError(`"${relative}" contains a backslash.`, "path-outside-dataset", ["Write dataset paths with forward slashes: <label folder>/<file>", { cliOnly: ", as `clean show` lists them" }, "."]);
  }
  const parts = path.isAbsolute(relative) ? undefined : splitDatasetPath(relative.split("/").filter((part) => part !== "").join("/"));
  if (!parts) {
    throw new StudioError(`"${relative}" is not an image of the dataset (expected <label folder>/<file>).`, "path-outside-dataset", [{ cliOnly: "Use the paths `clean show` lists." }, { editorOnly: "Refresh the cleaner." }]);
  }
  const normal = parts.join("/");
  const absolute = path.join(dataDir, ...parts);
  let real: string;
  let stat: import("node:fs").Stats;
  try {
    real = await fs.realpath(absolute);
    stat = await fs.stat(real);
  } catch {
    throw new StudioError(`${normal} no longer exists in the dataset.`, "file-missing", ["Refresh the cleaner", { cliOnly: " (or run `clean show` again)" }, ": the file was moved or deleted."]);
  }
  const realDataDir = await fs.realpath(dataDir);
  const inside = path.relative(realDataDir, real).split(path.sep);
  if (inside.length !== 2 || inside.some((part) => part === ".." || part.startsWith("."))) {
    throw new StudioError(`"${relative}" points outside the dataset.`, "path-outside-dataset");
  }
  if (!stat.isFile()) {
    throw new StudioError(`"${normal}" is a folder, not an image.`, "not-a-file", "Only single pictures can be deleted or relabelled; name the files inside it.");
  }
  return { relative: normal, absolute };
}
