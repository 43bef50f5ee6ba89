/**
 * Chooses the Space's default examples: validation images the model got right with the highest confidence, at
 * least one per class, from the predictions.json of the run the export came from (else the latest run). A visitor's
 * first click should show the model working on a picture it was not trained on. Examples are public: for each class,
 * pictures whose licence (as the search engine stated it) allows publishing are preferred to all others.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { allowsPublishing } from "../dataset/allows-publishing";
import { readManifest, type ManifestRecord } from "../dataset/manifest";
import { findRun, RUNS_FOLDER_NAME } from "../export/find-run";
import type { RunPrediction } from "../train/run-files";

/** How each front end lets the user choose examples (a warning is a plain line, worded for both). */
export const CHOOSE_EXAMPLES = "choose pictures yourself (--examples on the command line; VS Code's Create Space asks)";

export interface PickedExample {
  /** Absolute path of the image. */
  source: string;
  /** As predictions.json has it: relative to the data folder, forward slashes. */
  file: string;
  label: string;
  probability: number;
  split: "train" | "valid";
  /** Licence, its URL, author, title and page as the manifest records them (gather's wikimedia / openverse engines). */
  credit?: Pick<ManifestRecord, "license" | "licenseUrl" | "author" | "title" | "pageUrl" | "imageUrl" | "source">;
  /** The licence is known to allow publishing (see allowsPublishing). */
  publishable: boolean;
}

export interface PickExamplesResult {
  examples: PickedExample[];
  /** The run the predictions came from, if any. */
  runId?: string;
  /** Why fewer examples than asked, or none, were found. */
  warnings: string[];
}

export async function pickExamples(params: {
  projectDir: string;
  dataDir: string;
  labels: string[];
  /** The run the exported model came from (model.onnx metadata run_id); its predictions describe this very model. */
  runId?: string;
  count: number;
  /** Face-crop models: only crops made at gather/import (a whole picture added by hand is not what the Space can score). */
  faceCropsOnly?: boolean;
  /**
   * With faceCropsOnly: use the whole picture each crop was cut from (data/.originals/, as the manifest's `face`
   * records it) instead of the crop, for a page that crops the face itself. The label and probability stay the crop's.
   */
  wholePictures?: boolean;
}): Promise<PickExamplesResult> {
  const warnings: string[] = [];
  const run = await locateRun(params.projectDir, params.runId);
  if (!run) return { examples: [], warnings: [`No training run with predictions.json was found, so the Space has no examples; ${CHOOSE_EXAMPLES} to add some.`] };
  if (params.runId && run.runId !== params.runId) warnings.push(`The export's run ${params.runId} has no predictions.json; examples come from run ${run.runId}.`);

  const predictions = await readPredictions(run.file);
  if (!predictions) return { examples: [], runId: run.runId, warnings: [...warnings, `${run.file} could not be read, so the Space has no examples; ${CHOOSE_EXAMPLES} to add some.`] };

  const known = new Set(params.labels);
  const manifest = new Map((await readManifest(params.dataDir)).map((record) => [record.file, record] as const));
  // Crop file → the whole picture it was cut from (data-relative).
  const crops = params.faceCropsOnly ? new Map([...manifest.values()].flatMap((record) => (record.face ? [[record.file, record.face.original] as const] : []))) : undefined;
  const usable: PickedExample[] = [];
  for (const prediction of predictions) {
    if (!known.has(prediction.label) || prediction.predicted !== prediction.label) continue;
    if (crops && !crops.has(prediction.file)) continue;
    const file = params.wholePictures && crops ? crops.get(prediction.file) : prediction.file;
    const source = file === undefined ? undefined : insideDataDir(params.dataDir, file);
    if (!source) continue;
    const record = manifest.get(prediction.file);
    const credit = record ? { license: record.license, licenseUrl: record.licenseUrl, author: record.author, title: record.title, pageUrl: record.pageUrl, imageUrl: record.imageUrl, source: record.source } : undefined;
    usable.push({ source, file: prediction.file, label: prediction.label, probability: prediction.probabilities[prediction.label] ?? 0, split: prediction.split, credit, publishable: allowsPublishing(record?.license) });
  }
  // Held-out images first (they show the model generalising), then the most confident.
  usable.sort((a, b) => Number(b.split === "valid") - Number(a.split === "valid") || b.probability - a.probability || a.file.localeCompare(b.file));
  const present = preferPublishable(await filterExisting(usable), params.labels);
  const chosen = roundRobin(present, params.labels, params.count);
  const fromTraining = chosen.filter((example) => example.split !== "valid").length;
  if (fromTraining > 0) warnings.push(`Only ${chosen.length - fromTraining} well-classified validation image(s) were found; ${fromTraining} example(s) come from the training images.`);
  const missingClasses = params.labels.filter((label) => !chosen.some((example) => example.label === label));
  if (missingClasses.length > 0) warnings.push(`No correctly classified image of ${missingClasses.map((label) => `"${label}"`).join(", ")} was found for the examples.`);
  return { examples: chosen, runId: run.runId, warnings };
}

/** runs/<runId>/predictions.json when it exists, else the latest run's (the exporter's notion of latest). */
async function locateRun(projectDir: string, runId: string | undefined): Promise<{ runId: string; file: string } | undefined> {
  if (runId && !/[\\/]|^\.\.?$/.test(runId)) {
    const file = path.join(projectDir, RUNS_FOLDER_NAME, runId, "predictions.json");
    if (await isFile(file)) return { runId, file };
  }
  try {
    const latest = await findRun({ projectDir });
    const file = path.join(latest.runDir, "predictions.json");
    return (await isFile(file)) ? { runId: latest.runId, file } : undefined;
  } catch {
    return undefined;
  }
}

async function readPredictions(file: string): Promise<RunPrediction[] | undefined> {
  try {
    const raw = JSON.parse(await fs.readFile(file, "utf8")) as unknown;
    if (!Array.isArray(raw)) return undefined;
    return raw.filter((entry): entry is RunPrediction =>
      !!entry && typeof entry === "object" && typeof entry.file === "string" && typeof entry.label === "string"
      && typeof entry.predicted === "string" && (entry.split === "valid" || entry.split === "train")
      && !!entry.probabilities && typeof entry.probabilities === "object");
  } catch {
    return undefined;
  }
}

/** Resolves a predictions.json path; refuses anything that would leave the data folder. */
function insideDataDir(dataDir: string, file: string): string | undefined {
  if (path.isAbsolute(file) || file.split(/[\\/]/).includes("..")) return undefined;
  const resolved = path.resolve(dataDir, file);
  return resolved.startsWith(path.resolve(dataDir) + path.sep) ? resolved : undefined;
}

async function filterExisting(examples: PickedExample[]): Promise<PickedExample[]> {
  const checks = await Promise.all(examples.map((example) => isFile(example.source)));
  return examples.filter((_, index) => checks[index]);
}

/** Per class: only the publishable pictures when it has any, else all of them (create-space then warns). */
function preferPublishable(sorted: PickedExample[], labels: string[]): PickedExample[] {
  const licensed = new Set(labels.filter((label) => sorted.some((example) => example.label === label && example.publishable)));
  return sorted.filter((example) => example.publishable || !licensed.has(example.label));
}

/** The best of each class in label order (so every class shows up), then the best of the rest, until `count`. */
function roundRobin(sorted: PickedExample[], labels: string[], count: number): PickedExample[] {
  const chosen: PickedExample[] = [];
  for (const label of labels) {
    const best = sorted.find((example) => example.label === label);
    if (best && chosen.length < count) chosen.push(best);
  }
  for (const example of sorted) {
    if (chosen.length >= count) break;
    if (!chosen.includes(example)) chosen.push(example);
  }
  return chosen;
}

async function isFile(file: string): Promise<boolean> {
  return fs.stat(file).then((stat) => stat.isFile(), () => false);
}
