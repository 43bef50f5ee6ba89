/**
 * A check report never goes where another step reads its input: inside a project's data folder the next `train`
 * would learn from the timeline chart and the annotated worst frames as if they were pictures of a class; inside
 * runs/, export/ or a Space folder it would mix with a run, the model being shipped or the Space's files. The
 * folder is compared after symlinks are resolved, against the given project and every project folder above it.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { DEFAULT_EXPORT_FOLDER } from "../export/export-model";
import { CONFIG_FILE_NAME, loadProjectConfig, resolveDataDir } from "../project/project-config";
import { SPACE_MANIFEST } from "../space/read-space-manifest";
import { StudioError } from "../shared/errors";
import { RUNS_FOLDER_NAME } from "../train/write-run";

/** Parameters of refuseProjectReportFolder. */
export interface RefuseProjectReportFolderParams {
  /** Where the reports would be written. */
  outDir: string;
  /** The project the check runs for, when known (its folders are protected even without a project file). */
  projectDir?: string;
  /** The export being read: a report is not written into it either. */
  modelDir?: string;
}

/** createSpace's default folder in a project (`space create` without --out). */
const SPACE_FOLDER = "space";
const DEFAULT_DATA_FOLDER = "data";

/** Throws a StudioError naming the folder when `outDir` lies inside one a step reads; returns quietly otherwise. */
export async function refuseProjectReportFolder(params: RefuseProjectReportFolderParams): Promise<void> {
  const outDir = await realish(params.outDir);
  const refuse = (what: string, why: string): never => {
    throw new StudioError(`The report folder ${params.outDir} is inside ${what}; ${why}.`, "report-folder-in-project",
      ["Choose a report folder outside the project's data, runs, export and Space folders", { cliOnly: " with --out (the default is check-report/ in the project)" }, "."]);
  };
  const projects = new Set<string>();
  if (params.projectDir !== undefined) projects.add(await realish(params.projectDir));
  for (let dir = outDir; ; dir = path.dirname(dir)) {
    if (await exists(path.join(dir, CONFIG_FILE_NAME))) projects.add(dir);
    if (await exists(path.join(dir, SPACE_MANIFEST))) refuse(`the Space folder ${dir}`, "its files are what `space deploy` uploads");
    if (path.dirname(dir) === dir) break;
  }
  if (params.modelDir !== undefined && isInside(outDir, await realish(params.modelDir))) refuse(`the export ${params.modelDir}`, "the export is the model that ships and must hold only its own files");
  for (const project of projects) {
    const dataDir = await dataDirOf(project);
    if (isInside(outDir, dataDir)) refuse(`the project's data folder ${dataDir}`, "the next `train` would learn from the report's timeline chart and annotated frames as if they were pictures of a class");
    if (isInside(outDir, await realish(path.join(project, RUNS_FOLDER_NAME)))) refuse(`the project's ${RUNS_FOLDER_NAME}/ folder`, "it holds training runs only");
    if (isInside(outDir, await realish(path.join(project, DEFAULT_EXPORT_FOLDER)))) refuse(`the project's ${DEFAULT_EXPORT_FOLDER}/ folder`, "the export is the model that ships and must hold only its own files");
    if (isInside(outDir, await realish(path.join(project, SPACE_FOLDER)))) refuse(`the project's ${SPACE_FOLDER}/ folder`, "its files are what `space deploy` uploads");
  }
}

/** The project's data folder (its project file's dataDir; "data" when the file is missing or invalid), symlinks resolved. */
async function dataDirOf(projectDir: string): Promise<string> {
  const config = await loadProjectConfig(projectDir).catch(() => undefined);
  return realish(config ? resolveDataDir(projectDir, config) : path.join(projectDir, DEFAULT_DATA_FOLDER));
}

/** The absolute path with symlinks resolved as far as it exists (the rest, not yet created, appended). */
async function realish(target: string): Promise<string> {
  const absolute = path.resolve(target);
  const rest: string[] = [];
  for (let dir = absolute; ; dir = path.dirname(dir)) {
    const real = await fs.realpath(dir).catch(() => undefined);
    if (real !== undefined) return path.join(real, ...rest);
    if (path.dirname(dir) === dir) return absolute;
    rest.unshift(path.basename(dir));
  }
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (relative.split(path.sep)[0] !== ".." && !path.isAbsolute(relative));
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}
