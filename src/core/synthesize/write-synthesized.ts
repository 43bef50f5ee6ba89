/**
 * `synthesize`: writes the same-person fakes training would make from the project's real pictures to a folder, for a
 * person to look at, with provenance.jsonl (one line per picture: which real picture, by path and sha256, every
 * transform with its parameters, the seed and the mask's shape).
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { describeFsError, StudioError, throwIfAborted } from "../shared/errors";
import { labelToFolderName } from "../shared/labels";
import type { OperationOptions } from "../shared/progress";
import { writeFileAtomic } from "../shared/safe-files";
import { listTrainingImages } from "../dataset/list-training-images";
import { synthesizeFakes, type SynthesizedFake } from "./synthesize-fakes";
import { resolveSelfBlend } from "./training-fakes";

/** Name of the provenance file in the output folder. */
export const PROVENANCE_FILE = "provenance.jsonl";

/** Parameters of writeSynthesizedFakes. */
export interface WriteSynthesizedFakesParams extends OperationOptions {
  projectDir: string;
  config: ProjectConfig;
  /** Created when missing; must be empty or hold an earlier output of this command (which is replaced). */
  outDir: string;
  /** Self-blends per real picture (default train.selfBlendPerImage). */
  perImage?: number;
}

/** One line of provenance.jsonl; paths are relative to the project (pictures) or the output folder (file). */
export interface SynthesizedRecord {
  file: string;
  kind: SynthesizedFake["kind"];
  index: number;
  label: string;
  source: { path: string; sha256: string };
  seed: number;
  version: string;
  recipe?: SynthesizedFake["recipe"];
  donor?: { path: string; sha256: string; mirrored: boolean };
}

/** What was written. */
export interface WriteSynthesizedFakesResult {
  outDir: string;
  provenance: string;
  written: number;
  records: SynthesizedRecord[];
  skipped: Array<{ file: string; reason: string }>;
}

/** Synthesizes (or reads from the cache) the fakes of every real picture and copies them to outDir. */
export async function writeSynthesizedFakes(params: WriteSynthesizedFakesParams): Promise<WriteSynthesizedFakesResult> {
  const { projectDir, config, outDir, signal } = params;
  const plan = resolveSelfBlend(config);
  if (plan.fakeLabel === undefined) throw new StudioError(`Cannot tell which category holds the real pictures: ${plan.problem}`, "invalid-argument", 'Let exactly one category label contain "fake".');
  const perImage = params.perImage ?? plan.perImage;
  if (!Number.isInteger(perImage) || perImage < 1 || perImage > 16) throw new StudioError(`The number of self-blends per picture must be a whole number from 1 to 16, not ${perImage}.`, "invalid-argument");
  await prepareOutDir(outDir);
  const dataDir = resolveDataDir(projectDir, config);
  const listed = await listTrainingImages({ dataDir, labels: plan.realLabels });
  if (listed.length === 0) {
    throw new StudioError(`No real pictures to synthesize from in ${plan.realLabels.map((label) => path.join(dataDir, labelToFolderName(label))).join(", ")}.`, "no-images", "Import or gather pictures of the person first.");
  }
  const byFile = new Map(listed.map((image) => [image.file, image]));
  // Swaps pair pictures of one label here; training also keeps them within a split.
  const result = await synthesizeFakes({ projectDir, sources: listed.map((image) => ({ file: image.file, group: image.label })), perImage, swaps: plan.swaps, seed: config.train.seed, onProgress: params.onProgress, signal });
  const records: SynthesizedRecord[] = [];
  const relativeToProject = (file: string) => path.relative(projectDir, file).split(path.sep).join("/");
  for (const fake of result.fakes) {
    throwIfAborted(signal, "synthesis");
    const source = byFile.get(fake.source.file)!;
    const name = `${path.parse(source.relative).name}.${fake.kind === "self-blend" ? `self-blend-${fake.index + 1}` : "same-person-swap"}.png`;
    const file = path.join(labelToFolderName(source.label), name);
    await copy(fake.file, path.join(outDir, file));
    records.push({
      file: file.split(path.sep).join("/"),
      kind: fake.kind,
      index: fake.index,
      label: source.label,
      source: { path: relativeToProject(fake.source.file), sha256: fake.source.sha256 },
      seed: fake.seed,
      version: fake.version,
      ...(fake.recipe ? { recipe: fake.recipe } : {}),
      ...(fake.donor ? { donor: { path: relativeToProject(fake.donor.file), sha256: fake.donor.sha256, mirrored: fake.donor.mirrored } } : {}),
    });
  }
  const provenance = path.join(outDir, PROVENANCE_FILE);
  await writeFileAtomic(provenance, records.map((record) => JSON.stringify(record)).join("\n") + (records.length > 0 ? "\n" : ""));
  const skipped = result.skipped.map((entry) => ({ file: relativeToProject(entry.file), reason: entry.reason }));
  return { outDir, provenance, written: records.length, records, skipped };
}

/** Creates outDir, or empties an earlier output of this command; refuses a folder holding anything else. */
async function prepareOutDir(outDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fs.readdir(outDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw describeFsError(error, outDir);
    entries = [];
  }
  if (entries.length > 0 && !entries.includes(PROVENANCE_FILE)) {
    throw new StudioError(`${outDir} is not empty and holds no earlier output of \`synthesize\` (no ${PROVENANCE_FILE}); nothing was written.`, "invalid-argument", "Pass an empty or new folder with -o.");
  }
  try {
    // Only an earlier output of this command is replaced: its own PNGs and provenance, nothing else.
    const earlier = entries.length > 0 ? (await fs.readFile(path.join(outDir, PROVENANCE_FILE), "utf8")).split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { file?: unknown }).file) : [];
    for (const file of earlier) {
      if (typeof file !== "string" || !file.endsWith(".png")) continue;
      const full = path.resolve(outDir, file);
      if (full.startsWith(path.resolve(outDir) + path.sep)) await fs.rm(full, { force: true });
    }
    await fs.mkdir(outDir, { recursive: true });
  } catch (error) {
    if (error instanceof SyntaxError) throw new StudioError(`${path.join(outDir, PROVENANCE_FILE)} is not an output of \`synthesize\` (not JSON lines); nothing was written.`, "invalid-argument", "Pass an empty or new folder with -o.");
    throw describeFsError(error, outDir);
  }
}

async function copy(from: string, to: string): Promise<void> {
  try {
    await fs.mkdir(path.dirname(to), { recursive: true });
    await fs.copyFile(from, to);
  } catch (error) {
    throw describeFsError(error, to);
  }
}
