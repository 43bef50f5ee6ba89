/** The cleaner's input, as fastai's ImageClassifierCleaner builds it: a run's images per label and split, worst loss first. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { findRun } from "../export/find-run";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { describeFsError, StudioError } from "../shared/errors";
import type { RunPrediction } from "../train/run-files";
import { splitDatasetPath } from "./dataset-path";
import { unknownCategoryError } from "./unknown-category";

export interface TopLossesParams {
  projectDir: string;
  config: ProjectConfig;
  /** Default: the latest run. */
  runId?: string;
  /** One of the project's categories; anything else is refused with the list of them. */
  label?: string;
  split?: RunPrediction["split"];
}

const predictionsSchema = z.array(z.object({
  file: z.string(),
  split: z.enum(["train", "valid"]),
  label: z.string(),
  predicted: z.string(),
  probabilities: z.record(z.number()),
  loss: z.number(),
}).passthrough());

/** Predictions of a run filtered by label and split, sorted by loss (highest first), minus files no longer in the dataset. */
export async function listTopLosses(params: TopLossesParams): Promise<{ runId: string; items: RunPrediction[] }> {
  if (params.label !== undefined && !params.config.categories.some((category) => category.label === params.label)) {
    throw unknownCategoryError(params.config, params.label, "Cannot list losses");
  }
  if (params.split !== undefined && params.split !== "train" && params.split !== "valid") {
    throw new StudioError(`There is no split "${String(params.split)}".`, "unknown-split", 'Use "train" or "valid".');
  }
  const { runId, runDir } = await findRun({ projectDir: params.projectDir, runId: params.runId });
  const predictions = await readPredictions(path.join(runDir, "predictions.json"), runId);
  const dataDir = resolveDataDir(params.projectDir, params.config);
  // A file named in predictions.json is untrusted: only <label folder>/<file> inside the data folder is looked at.
  const selected = predictions.filter((item) => splitDatasetPath(item.file) && (!params.label || item.label === params.label) && (!params.split || item.split === params.split));
  const present = await Promise.all(selected.map((item) => fs.lstat(path.join(dataDir, item.file)).then((stat) => stat.isFile(), () => false)));
  const items = selected.filter((_, index) => present[index]).sort((a, b) => b.loss - a.loss);
  return { runId, items };
}

async function readPredictions(file: string, runId: string): Promise<RunPrediction[]> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new StudioError(`Run ${runId} has no predictions file (${file}).`, "predictions-missing", ["Train again (", { step: "train" }, "): a finished run writes it."]);
    }
    throw describeFsError(error, file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const parsed = predictionsSchema.safeParse(raw);
  if (!parsed.success) {
    const why = raw === undefined ? (text.trim() === "" ? "it is empty" : "it is not valid JSON") : "it is not a list of predictions";
    throw new StudioError(`The predictions file of run ${runId} is damaged (${why}): ${file}.`, "predictions-damaged",
      ["Train again (", { step: "train" }, ") to write a new run", { cliOnly: ", or pick another run with --run" }, "."]);
  }
  return parsed.data as RunPrediction[];
}
