/**
 * Where `export` may write. The destination is replaced as a whole (the old one becomes `<out>.previous`, and the
 * older `.previous` is deleted), so both must be new, empty, or an export folder this tool wrote: a typo in --out
 * must never move or delete the user's files, a Space folder with its git history included.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { decodeOnnxModel } from "../onnx/decode-onnx-model";
import { describeFsError } from "../shared/errors";
import { ExportError } from "./export-errors";
import { EXPORT_FILES, EXPORT_MARKER, EXPORT_METADATA_KEYS, type ExportMarker } from "./export-format";
import { PREVIOUS_SUFFIX } from "./replace-folder";

/** What an export folder may hold: the exporter's files, and what a file browser drops into any folder it shows. */
const EXPORT_NAMES: ReadonlySet<string> = new Set([...Object.values(EXPORT_FILES), EXPORT_MARKER, ".DS_Store", "Thumbs.db", "desktop.ini"]);
const LEGACY_REQUIRED = [EXPORT_FILES.model, EXPORT_FILES.labels, EXPORT_FILES.preprocess];

/** Throws ExportError("out-dir-refused") unless `outDir` and `<outDir>.previous` may be replaced. */
export async function checkExportDestination(params: { outDir: string; projectDir: string; protectedDirs: string[]; defaultDir: string }): Promise<void> {
  const { outDir } = params;
  // Real paths, so a symbolic link to the project (or a folder above it) is seen for what it is.
  const out = await realPath(outDir);
  const project = await realPath(params.projectDir);
  const inside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
  const protectedDirs = await Promise.all(params.protectedDirs.map(realPath));
  if (inside(project, out) || protectedDirs.some((dir) => inside(out, dir) || inside(dir, out))) {
    throw new ExportError(`Refusing to export into ${outDir}: it is (or holds, or lies inside) the project, its data or its runs, and the export folder is replaced as a whole.`, "out-dir-refused",
      [{ cliOnly: `Use a folder of its own, e.g. --out ${params.defaultDir}.` }, { editorOnly: `Export Model writes to ${params.defaultDir}: move what is there away.` }]);
  }
  const foreign = await whyNotReplaceable(outDir);
  if (foreign) {
    throw new ExportError(`Refusing to export into ${outDir}: ${foreign}. An export replaces its folder as a whole, so only a new or empty folder, or one an earlier export wrote, can be used.`, "out-dir-refused",
      ["Move that folder away", { cliOnly: `, or choose another folder with --out (the default is ${params.defaultDir})` }, ", then export again."]);
  }
  const previous = `${outDir}${PREVIOUS_SUFFIX}`;
  const foreignPrevious = await whyNotReplaceable(previous);
  if (foreignPrevious) {
    throw new ExportError(`Refusing to export into ${outDir}: ${previous} (where the replaced export is kept, deleting what is there) ${foreignPrevious}.`, "out-dir-refused",
      [`Move ${previous} away`, { cliOnly: ", or choose another folder with --out" }, "."]);
  }
}

/** Why `dir` is not a folder export may replace, or undefined when it is missing, empty or an export. */
async function whyNotReplaceable(dir: string): Promise<string | undefined> {
  const stat = await fs.lstat(dir).catch(() => undefined);
  if (!stat) return undefined;
  if (!stat.isDirectory()) return "it is a file, not a folder";
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    throw describeFsError(error, dir);
  }
  if (names.length === 0) return undefined;
  // Anything else in it (the user's notes, a Space's index.html or .git) would be moved away with it.
  const others = names.filter((name) => !EXPORT_NAMES.has(name));
  if (others.length === 0 && ((await hasMarker(dir)) || (await isLegacyExport(dir, names)))) return undefined;
  const shown = (others.length > 0 ? others : names).sort();
  return `it already holds files that export did not write (${shown.slice(0, 4).join(", ")}${shown.length > 4 ? `, and ${shown.length - 4} more` : ""})`;
}

async function hasMarker(dir: string): Promise<boolean> {
  try {
    const marker = JSON.parse(await fs.readFile(path.join(dir, EXPORT_MARKER), "utf8")) as Partial<ExportMarker>;
    return marker.generator === "deepfake-studio" && marker.kind === "export";
  } catch {
    return false;
  }
}

/**
 * An export made before the marker (only the exporter's names, checked by the caller): model.onnx, labels.json and
 * preprocess.json as plain files, and a model.onnx whose metadata carries the run and backbone the exporter stamps
 * into it, which a hand-made folder's model does not.
 */
async function isLegacyExport(dir: string, names: string[]): Promise<boolean> {
  if (!LEGACY_REQUIRED.every((name) => names.includes(name))) return false;
  for (const name of names) {
    if (!(await fs.lstat(path.join(dir, name)).then((stat) => stat.isFile(), () => false))) return false;
  }
  try {
    const model = decodeOnnxModel(await fs.readFile(path.join(dir, EXPORT_FILES.model)));
    const keys = new Set((model.metadataProps ?? []).map((entry) => entry.key));
    return keys.has(EXPORT_METADATA_KEYS.runId) && keys.has(EXPORT_METADATA_KEYS.backboneSha256);
  } catch {
    return false;
  }
}

/** The real path of `file`, or of its nearest existing parent with the rest appended. */
async function realPath(file: string): Promise<string> {
  const absolute = path.resolve(file);
  const real = await fs.realpath(absolute).catch(() => undefined);
  if (real) return real;
  const parent = path.dirname(absolute);
  return parent === absolute ? absolute : path.join(await realPath(parent), path.basename(absolute));
}
