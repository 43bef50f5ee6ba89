/**
 * `deepfake-studio space`: turns the export folder into a ready-to-push Hugging Face Space folder.
 *
 * - static (default): index.html + app.js + preprocess.js + style.css, onnxruntime-web copied into ort/; the model
 *   runs in the visitor's browser, so the Space is free and the picture never leaves the device. A face-crop model's
 *   Space also gets face-crop.js, face-search.js and face-api/ (detectors, landmarks, TensorFlow.js): the page crops
 *   the largest face as the training pictures were cropped; a model reading blending statistics gets them too, to
 *   find the face's landmarks as predict does.
 * - gradio: app.py (gr.Interface, image → gr.Label) + preprocess.py + requirements.txt, as the fast.ai lesson does.
 *
 * Both get model.onnx, labels.json, preprocess.json, example pictures, space.json (what the page reads: title,
 * examples), a README.md with the Spaces configuration and the model card, and a .gitattributes that puts every
 * binary in LFS. The folder is then committed with git + git-lfs when both are installed.
 *
 * The files are written in place, so the Space's git history and any file of the user's stay where they are; space.json
 * is written first marked unfinished (see read-space-manifest.ts), so an interrupted run (Ctrl-C, kill, a full disk)
 * leaves a folder the next run completes and deploy will not upload.
 */
import { promises as fs } from "node:fs";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { summariseDataSources } from "../dataset/summarise-data-sources";
import sharp from "sharp";
import { EXPORT_FILES } from "../export/export-format";
import { ONNX_NAMES } from "../onnx/convert-layers-model";
import { loadExport } from "../predict/load-export";
import { loadProjectConfig, resolveDataDir } from "../project/project-config";
import { describeFsError, StudioError, throwIfAborted } from "../shared/errors";
import { writeFileDurable } from "../shared/safe-files";
import { faceApiRuntimeFiles, faceApiVersions } from "./face-api-runtime-files";
import type { OperationOptions } from "../shared/progress";
import { commitSpaceFolder, LFS_PATTERNS, type CommitSpaceResult } from "./commit-space-folder";
import { findTemplatesDir } from "./find-templates-dir";
import { ortRuntimeFiles, ortVersion } from "./ort-runtime-files";
import { readManifest } from "../dataset/manifest";
import { CHOOSE_EXAMPLES, pickExamples, type PickedExample } from "./pick-examples";
import { MAX_SHORT_DESCRIPTION, renderSpaceReadme } from "./render-space-readme";
import { readSpaceManifest, SPACE_MANIFEST, type SpaceManifest } from "./read-space-manifest";
import { SpaceError } from "./space-error";
import { synthesizedOnlySpaceNote } from "../synthesize/blend-sensitivity";
import type { SpaceSdk } from "./space-sdk";

export interface CreateSpaceParams extends OperationOptions {
  projectDir: string;
  /** Default: <projectDir>/export. */
  exportDir?: string;
  /** Default: <projectDir>/space. */
  outDir?: string;
  /** Default: "static" (free on Hugging Face; Gradio Spaces need a paid plan). */
  sdk?: SpaceSdk;
  /** Pictures to show as examples instead of the automatic choice; relative paths are taken from projectDir. An empty list: no examples. */
  examples?: string[];
  /** Default: "Deepfake Detector". */
  title?: string;
  /** Default "mit": the license of the Space's code (README front matter). */
  license?: string;
  /** How many examples to pick automatically (default 3, at least one per class). */
  exampleCount?: number;
  /** Set false to write the folder without touching git. */
  git?: boolean;
}

export interface CreateSpaceResult {
  spaceDir: string;
  sdk: SpaceSdk;
  /** Every file the studio wrote, Space-relative, with its size in bytes. */
  files: Array<{ path: string; bytes: number }>;
  examples: Array<{ path: string; source: string; label?: string; probability?: number; credit?: PickedExample["credit"]; publishable?: boolean }>;
  git: CommitSpaceResult | { status: "disabled" };
  warnings: string[];
}

const DEFAULT_TITLE = "Deepfake Detector";
const MAX_EXAMPLE_SIDE = 1024;
const COPYABLE_EXAMPLE_TYPES: ReadonlySet<string> = new Set([".jpg", ".jpeg", ".png", ".webp"]);

type FileSource = { data: Uint8Array | string } | { copyFrom: string };

export async function createSpace(params: CreateSpaceParams): Promise<CreateSpaceResult> {
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    params.onProgress?.({ event: "warning", message });
  };
  const phase = (message: string) => params.onProgress?.({ event: "phase", phase: "space", message });
  const sdk = params.sdk ?? "static";
  const projectDir = path.resolve(params.projectDir);
  const config = await loadProjectConfig(projectDir);
  const dataDir = resolveDataDir(projectDir, config);
  const exportDir = path.resolve(params.exportDir ?? path.join(projectDir, "export"));
  const spaceDir = path.resolve(params.outDir ?? path.join(projectDir, "space"));
  checkOutDir(spaceDir, [projectDir, exportDir, dataDir]);

  phase(`Reading the export in ${exportDir}…`);
  const exported = await loadExport({ modelDir: exportDir });
  const modelCard = await readOptional(path.join(exportDir, EXPORT_FILES.readme));
  if (modelCard === undefined) warn(`${path.join(exportDir, EXPORT_FILES.readme)} is missing, so the Space's README has no model card; export the model again to write one.`);
  const metrics = parseMetrics(await readOptional(path.join(exportDir, EXPORT_FILES.metrics)));
  const previous = await readPreviousManifest(spaceDir);
  if (previous?.unfinished) params.onProgress?.({ event: "log", message: `Completing ${spaceDir}, which an interrupted run left unfinished.` });
  throwIfAborted(params.signal, "space");

  const title = (params.title ?? DEFAULT_TITLE).trim() || DEFAULT_TITLE;
  const labels = exported.labels;
  const files = new Map<string, FileSource>();
  const templates = findTemplatesDir();

  phase("Choosing example pictures…");
  const runId = exported.metadata.run_id ?? metrics.runId;
  const examples = params.examples
    ? await customExamples(params.examples, projectDir, files)
    : await defaultExamples({ projectDir, dataDir, labels, runId, count: Math.max(params.exampleCount ?? 3, labels.length), faceCropsOnly: exported.preprocess.faceCrop !== undefined, wholePictures: sdk === "static", files, warn });
  if (examples.length === 0 && params.examples?.length !== 0) warn(`The Space has no example pictures; ${CHOOSE_EXAMPLES} to add some.`);

  // A face-crop model's static page crops the face itself; the Gradio app does not, and says so up front.
  const faceCrop = exported.preprocess.faceCrop !== undefined;
  // The static page finds faces itself (face-crop.js, face-search.js, face-api/) to crop them or to measure blending statistics.
  const findsFaces = sdk === "static" && (faceCrop || exported.preprocess.blendStatistics !== undefined);
  const description = describeSpace(sdk, labels, faceCrop);
  const manifest: SpaceManifest = {
    generator: "deepfake-studio",
    format: 1,
    sdk,
    title,
    description,
    ...(sdk === "gradio" ? { article: "The picture is classified on this Space's CPU with ONNX Runtime and is not stored. A screening aid made with Deepfake Detector Studio (fast.ai lesson 2), not proof." } : {}),
    examples: examples.map((example) => example.path),
    ...(faceCrop ? { faceCrop: true } : {}),
    ...(runId ? { runId } : {}),
    ...(metrics.errorRate !== undefined ? { validErrorRate: metrics.errorRate } : {}),
    ...(metrics.validImages !== undefined ? { validImages: metrics.validImages } : {}),
    // The run's manipulation check: how many self-blends of held-out real faces (same person, blended face) it flags.
    ...(metrics.sameIdentityBlends ? { sameIdentityBlends: metrics.sameIdentityBlends } : {}),
    files: [],
  };

  if (exported.preprocess.faceContrast) {
    throw new SpaceError("This model also reads face contrasts (train.faceContrast), which no Space computes yet.", "space-sdk-mismatch",
      "Train without them for a Space: set train.faceContrast to false in deepfake-studio.json, train again and export; predict and check use this model as it is.");
  }
  if (sdk === "static") {
    const index = await fs.readFile(path.join(templates, "static", "index.html"), "utf8");
    files.set("index.html", { data: index.replaceAll("{{TITLE}}", escapeHtml(title)).replaceAll("{{DESCRIPTION}}", escapeHtml(description)) });
    for (const name of ["app.js", "format-percent.js", "preprocess.js", "style.css"]) files.set(name, { copyFrom: path.join(templates, "static", name) });
    for (const file of ortRuntimeFiles()) files.set(file.target, { copyFrom: file.source });
    const statistics = exported.preprocess.blendStatistics;
    // Face-crop models crop the face; other models that read blending statistics still need its landmarks.
    if (findsFaces) {
      // Only then: a plain Space stays as small as it was. app.js imports face-crop.js on demand, which imports
      // face-search.js (the studio's face-likeness check and tilted-head retry). Both detectors ship: like the studio,
      // the page tries the other one when the first finds no face.
      files.set("face-crop.js", { copyFrom: path.join(templates, "static", "face-crop.js") });
      files.set("face-search.js", { copyFrom: builtSpaceScript(templates, "face-search.js") });
      for (const file of faceApiRuntimeFiles()) files.set(file.target, { copyFrom: file.source });
    }
    if (statistics) files.set("blend-statistics.js", { copyFrom: builtSpaceScript(templates, "blend-statistics.js") });
    // The page's "where it looked" toggle draws the model's own `cam` output with the studio's code; other models say it is not available.
    if (exported.outputNames.includes(ONNX_NAMES.cam)) files.set("cam-overlay.js", { copyFrom: builtSpaceScript(templates, "cam-overlay.js") });
  } else {
    if (exported.preprocess.blendStatistics) {
      throw new SpaceError("This model also reads the blending statistics of each face, which the Gradio app does not measure.", "space-sdk-mismatch",
        ["Create a static Space instead (", { step: "space", sdk: "static" }, "): its page measures them in the browser with the studio's own code."]);
    }
    for (const name of ["app.py", "preprocess.py", "requirements.txt"]) files.set(name, { copyFrom: path.join(templates, "gradio", name) });
  }
  files.set(EXPORT_FILES.model, { data: exported.modelBytes });
  files.set(EXPORT_FILES.labels, { data: `${JSON.stringify(labels, null, 2)}\n` });
  // The decision threshold travels with the preprocessing: the static page and the Gradio app decide the label with it.
  files.set(EXPORT_FILES.preprocess, { data: `${JSON.stringify(exported.decision ? { ...exported.preprocess, decision: exported.decision } : exported.preprocess, null, 2)}\n` });
  files.set(".gitattributes", { data: gitAttributes() });
  const gradio = sdk === "gradio" ? await gradioVersions(path.join(templates, "gradio", "requirements.txt")) : undefined;
  files.set("README.md", {
    data: renderSpaceReadme({ sdk, title, shortDescription: shortDescription(sdk, labels), labels, modelCard, faceCrop, gradioVersion: gradio?.gradio, pythonVersion: gradio?.python, license: params.license, ortVersion: sdk === "static" ? ortVersion() : undefined, faceApi: findsFaces ? faceApiVersions() : undefined, exampleCredits: examples.map((example) => ({ path: example.path, ...example.credit })), data: await summariseDataSources(dataDir) }),
  });
  manifest.files = [...files.keys(), SPACE_MANIFEST].sort();

  phase(`Writing the ${sdk} Space to ${spaceDir}…`);
  const manifestFile = path.join(spaceDir, SPACE_MANIFEST);
  await writeSpaceFolder(spaceDir, async () => {
    // Marked first: a run killed from here on leaves a folder the next run recognises, resumes and tidies up.
    await fs.mkdir(spaceDir, { recursive: true });
    const mayHold = [...new Set([...manifest.files, ...(previous?.files ?? [])])].sort();
    await writeFileDurable(manifestFile, manifestText({ ...manifest, files: mayHold, unfinished: true }));
    await writeFiles(spaceDir, files, params.signal);
    await removeStale(spaceDir, previous?.files ?? [], new Set(manifest.files));
    await writeFileDurable(manifestFile, manifestText(manifest));
  });
  const written = await Promise.all(manifest.files.map(async (file) => ({ path: file, bytes: (await fs.stat(path.join(spaceDir, file))).size })));

  let git: CreateSpaceResult["git"] = { status: "disabled" };
  if (params.git !== false) {
    phase("Committing the Space folder (git + git-lfs)…");
    git = await commitSpaceFolder({ dir: spaceDir, message: previous ? "Update the Space (Deepfake Detector Studio)" : "Create the Space (Deepfake Detector Studio)", signal: params.signal });
    if (git.status === "skipped") warn(git.message);
    else if (git.removedLock) warn(`Removed ${path.join(spaceDir, ".git", "index.lock")}, which an interrupted git command had left behind.`);
  }
  return { spaceDir, sdk, files: written, examples, git, warnings };
}

/** The Space folder must be its own folder: never the project, the export or the data (it gets its own git repository). */
function checkOutDir(spaceDir: string, protectedDirs: string[]): void {
  for (const dir of protectedDirs) {
    if (spaceDir === dir || dir.startsWith(spaceDir + path.sep)) {
      throw new SpaceError(`The Space folder ${spaceDir} would contain or replace ${dir}.`, "space-out-invalid", ["Choose a separate folder", { cliOnly: " with --out (the default is <project>/space)" }, "."]);
    }
    if (spaceDir.startsWith(dir + path.sep) && dir !== protectedDirs[0]) {
      throw new SpaceError(`The Space folder ${spaceDir} is inside ${dir}.`, "space-out-invalid", ["Choose a folder outside the export and data folders", { cliOnly: " with --out" }, "."]);
    }
  }
}

/**
 * The space.json a previous run left (finished or not), if the folder is one of ours; refuses to write into someone
 * else's folder. The space.json.part of a run killed while writing it is removed.
 */
async function readPreviousManifest(spaceDir: string): Promise<SpaceManifest | undefined> {
  const part = `${SPACE_MANIFEST}.part`;
  let entries: string[];
  try {
    entries = await fs.readdir(spaceDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if ((error as NodeJS.ErrnoException).code === "ENOTDIR") throw new SpaceError(`${spaceDir} is a file, not a folder.`, "space-out-invalid", ["Move that file away", { cliOnly: ", or choose another folder with --out" }, "."]);
    throw describeFsError(error, spaceDir);
  }
  const manifest = await readSpaceManifest(spaceDir);
  if (manifest || entries.every((name) => name === ".git" || name === part)) {
    await fs.rm(path.join(spaceDir, part), { force: true });
    return manifest;
  }
  throw new SpaceError(`${spaceDir} already holds files that Deepfake Detector Studio did not write.`, "space-out-invalid", ["Move that folder away (or remove it) first", { cliOnly: ", or choose an empty or new folder with --out" }, "."]);
}

/** Pretty JSON with a final newline. */
function manifestText(manifest: SpaceManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Runs the writes; a full disk says that the folder is marked unfinished and that the next run completes it. */
async function writeSpaceFolder(spaceDir: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (error instanceof StudioError && error.code === "disk-full") {
      throw new StudioError(`The disk is full, so the Space folder ${spaceDir} could not be written completely.`, "disk-full",
        ["Free some space and run ", { step: "space" }, " again: it completes the folder (", { step: "deploy" }, " does too, and never uploads an unfinished one)."]);
    }
    throw error;
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw describeFsError(error, file);
  }
}

/** The few numbers the page shows from export/metrics.json; a missing or odd file just leaves them out. */
function parseMetrics(text: string | undefined): { runId?: string; errorRate?: number; validImages?: number; sameIdentityBlends?: SpaceManifest["sameIdentityBlends"] } {
  if (!text) return {};
  try {
    const raw = JSON.parse(text) as { runId?: unknown; errorRate?: unknown; counts?: { valid?: Record<string, unknown> }; sameIdentityBlends?: { share?: unknown; scored?: unknown }; synthesized?: { mode?: unknown } };
    const blends = raw.sameIdentityBlends;
    // The page repeats the run's warning: a share measured on synthesized fakes only says nothing of real swaps.
    const synthesizedOnly = raw.synthesized?.mode === "only" ? { synthesizedOnly: synthesizedOnlySpaceNote() } : {};
    const valid = raw.counts?.valid ? Object.values(raw.counts.valid).filter((n): n is number => typeof n === "number") : [];
    return {
      runId: typeof raw.runId === "string" ? raw.runId : undefined,
      errorRate: typeof raw.errorRate === "number" && Number.isFinite(raw.errorRate) ? raw.errorRate : undefined,
      validImages: valid.length > 0 ? valid.reduce((a, b) => a + b, 0) : undefined,
      sameIdentityBlends: typeof blends?.share === "number" && blends.share >= 0 && blends.share <= 1 && typeof blends.scored === "number" && blends.scored > 0 ? { share: blends.share, scored: blends.scored, ...synthesizedOnly } : undefined,
    };
  } catch {
    return {};
  }
}

async function defaultExamples(params: {
  projectDir: string;
  dataDir: string;
  labels: string[];
  runId?: string;
  count: number;
  faceCropsOnly: boolean;
  /** The page crops faces itself (static Space): show whole pictures rather than crops. */
  wholePictures: boolean;
  files: Map<string, FileSource>;
  warn: (message: string) => void;
}): Promise<CreateSpaceResult["examples"]> {
  const picked = await pickExamples(params);
  picked.warnings.forEach(params.warn);
  const unlicensed = picked.examples.filter((example) => !example.publishable).length;
  if (unlicensed > 0) params.warn(`${unlicensed === picked.examples.length ? "The" : `${unlicensed} of the`} example pictures come from your data folder without a licence known to allow publishing, and will be public with the Space: make sure you may publish them (or ${CHOOSE_EXAMPLES}; pictures gathered with the wikimedia or openverse engines carry their licence and are preferred).`);
  const out: CreateSpaceResult["examples"] = [];
  for (const [index, example] of picked.examples.entries()) {
    const ext = path.extname(example.source).toLowerCase();
    const name = `examples/example-${index + 1}`;
    if (COPYABLE_EXAMPLE_TYPES.has(ext)) {
      // Copied byte for byte: the very pixels predictions.json scored (or, for a face-crop model, the picture they were cut from).
      const target = `${name}${ext === ".jpeg" ? ".jpg" : ext}`;
      params.files.set(target, { copyFrom: example.source });
      out.push({ path: target, source: example.source, label: example.label, probability: example.probability, credit: example.credit, publishable: example.publishable });
    } else {
      const target = `${name}.jpg`;
      params.files.set(target, { data: await normaliseExample(example.source) });
      out.push({ path: target, source: example.source, label: example.label, probability: example.probability, credit: example.credit, publishable: example.publishable });
    }
  }
  return out;
}

/** --examples: any picture the user names, re-encoded as JPEG without metadata (no GPS position in a public Space). */
async function customExamples(requested: string[], projectDir: string, files: Map<string, FileSource>): Promise<CreateSpaceResult["examples"]> {
  const sources = requested.map((file) => file.trim()).filter(Boolean).map((file) => path.resolve(projectDir, file));
  if (requested.length === 0) return []; // chosen on purpose: a Space without examples
  if (sources.length === 0) throw new SpaceError("--examples names no file.", "space-examples-invalid", "Pass a comma-separated list of pictures, e.g. --examples a.jpg,b.png.");
  const out: CreateSpaceResult["examples"] = [];
  for (const [index, source] of sources.entries()) {
    const target = `examples/example-${index + 1}.jpg`;
    files.set(target, { data: await normaliseExample(source) });
    out.push({ path: target, source });
  }
  return out;
}

async function normaliseExample(source: string): Promise<Buffer> {
  try {
    return await sharp(source, { autoOrient: true, failOn: "warning", pages: 1, limitInputPixels: 100_000_000 })
      .resize({ width: MAX_EXAMPLE_SIDE, height: MAX_EXAMPLE_SIDE, fit: "inside", withoutEnlargement: true })
      .flatten({ background: "#ffffff" })
      .toColourspace("srgb")
      .jpeg({ quality: 92 })
      .toBuffer();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" || /missing|no such file/i.test((error as Error).message) ? "it does not exist" : `it is not a picture that can be read (${(error as Error).message.split("\n")[0]})`;
    throw new SpaceError(`Cannot use ${source} as an example: ${reason}.`, "space-examples-invalid", ["Choose existing JPEG, PNG or WebP pictures", { cliOnly: " for --examples" }, "."]);
  }
}

function describeSpace(sdk: SpaceSdk, labels: string[], faceCrop: boolean): string {
  const question = labels.length === 2 ? `Is it ${labels[0]} or ${labels[1]}?` : `Which is it: ${labels.slice(0, -1).join(", ")} or ${labels[labels.length - 1]}?`;
  const base = sdk === "static"
    ? `${question} Drop, paste or choose a photo: it is classified right here in your browser and never uploaded.`
    : `${question} Upload a photo or click an example.`;
  if (!faceCrop) return base;
  return `${base} ${sdk === "static" ? FACE_CROP_NOTICE : FACE_CROP_UPLOAD_NOTICE}`;
}

/** A Space script the build bundles from the studio's own code into out/dist/space/ (webview/build.mjs), beside templates/. */
function builtSpaceScript(templates: string, name: string): string {
  const file = path.join(path.dirname(templates), "out", "dist", "space", name);
  if (!existsSync(file)) throw new SpaceError(`The Space script ${file} was not built.`, "space-templates-missing", "Run `npm run build` (or reinstall Deepfake Detector Studio).");
  return file;
}

/** What a face-crop model's static page tells its visitors: it crops the face itself (face-crop.js). */
export const FACE_CROP_NOTICE = "This model judges faces only: the page finds the largest face in your picture and crops it the way the training pictures were cropped, then shows you the face it judged. Your browser resizes large pictures slightly differently from the studio, so a score can differ a little from the studio's.";

/** What a face-crop model's Gradio app tells its visitors: it does not look for the face, so they must crop it. */
export const FACE_CROP_UPLOAD_NOTICE = "This model judges faces only: it was trained on face crops, so give it a picture cropped to one face, like the examples (this app does not look for the face itself).";

/** The README's short_description: at most 60 characters or the hub refuses the push. */
function shortDescription(sdk: SpaceSdk, labels: string[]): string {
  const question = labels.length === 2 ? `Is it ${labels[0]} or ${labels[1]}?` : "";
  if (question && [...question].length <= MAX_SHORT_DESCRIPTION) return question;
  return sdk === "static" ? "Deepfake detector that runs in your browser" : "Deepfake detector (fast.ai lesson 2, ONNX)";
}

function gitAttributes(): string {
  return [
    "# The Hugging Face Hub refuses binary files that are not in LFS (or Xet), even small ones.",
    ...LFS_PATTERNS.map((pattern) => `${pattern} filter=lfs diff=lfs merge=lfs -text`),
    "",
  ].join("\n");
}

/** gradio and python versions for the README, read from the template's requirements.txt so they cannot drift apart. */
async function gradioVersions(requirementsFile: string): Promise<{ gradio: string; python: string }> {
  const text = await fs.readFile(requirementsFile, "utf8");
  const gradio = /^gradio==([\w.]+)\s*$/m.exec(text)?.[1];
  if (!gradio) throw new SpaceError(`${requirementsFile} does not pin gradio (gradio==x.y.z).`, "space-templates-missing");
  // numpy 2.2 and current onnxruntime wheels need Python 3.10+; 3.12 is what the pins were chosen for.
  return { gradio, python: "3.12" };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] as string);
}

async function writeFiles(spaceDir: string, files: Map<string, FileSource>, signal: AbortSignal | undefined): Promise<void> {
  for (const [relative, source] of files) {
    throwIfAborted(signal, "space");
    const target = path.join(spaceDir, ...relative.split("/"));
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      if ("copyFrom" in source) await fs.copyFile(source.copyFrom, target);
      else await fs.writeFile(target, source.data);
    } catch (error) {
      throw describeFsError(error, target);
    }
  }
}

/** Removes files an earlier run wrote that this run did not (other examples, the other sdk's app); never anything else. */
async function removeStale(spaceDir: string, previousFiles: string[], current: Set<string>): Promise<void> {
  const emptied = new Set<string>();
  for (const relative of previousFiles) {
    if (current.has(relative) || typeof relative !== "string" || relative.split("/").some((part) => part === ".." || part === "" || part === ".git")) continue;
    const target = path.join(spaceDir, ...relative.split("/"));
    await fs.rm(target, { force: true });
    if (relative.includes("/")) emptied.add(path.dirname(target));
  }
  for (const dir of emptied) await fs.rmdir(dir).catch(() => undefined);
}

