/** deepfake-studio.json: the project file, validated on every load with a message naming the bad field. */
import { promises as fs, readlinkSync, realpathSync, statSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { DEFAULT_ENGINES, ENGINE_NAMES } from "../gather/engines/engine-names";
import { TORCH_BACKBONE_CHOICES, TORCH_BACKBONES } from "../train/engines/torch-backbone-names";
import { ConfigError, describeFsError } from "../shared/errors";
import { labelToFolderName } from "../shared/labels";
import { ensureDir } from "../shared/safe-files";

export const CONFIG_FILE_NAME = "deepfake-studio.json";

const categorySchema = z
  .object({
    /** The class name the model predicts; also (made safe) the folder under dataDir. */
    label: z.string().trim().min(1, "must not be empty"),
    /** Image-search query; a category without one is filled by `import` only. */
    search: z.string().trim().min(1, "must not be empty").optional(),
  })
  .strict();

const searchSchema = z
  .object({
    /** Image search engines, asked in this order until maxImages pictures are found; one that fails is skipped. */
    engines: z
      .array(z.enum(ENGINE_NAMES))
      .min(1, "needs at least one engine")
      .refine((names) => new Set(names).size === names.length, "names an engine twice")
      .default(DEFAULT_ENGINES),
    /** Pause between two searches, as the seed notebook's time.sleep(5). */
    delaySeconds: z.number().min(0).max(120).default(5),
    /** How often a rate-limited search is retried, with exponential back-off. */
    retries: z.number().int().min(0).max(10).default(4),
    /** First back-off delay; it doubles after each rate-limit answer. */
    backoffSeconds: z.number().min(0).max(600).default(4),
    /** Longest wait for one answer from the search engine. */
    timeoutSeconds: z.number().min(0.1).max(600).default(20),
  })
  .strict();

const dedupeSchema = z
  .object({
    /** "near" also drops near copies (perceptual hashes within maxDistance bits of 64); "exact" only identical pixels. */
    mode: z.enum(["exact", "near"]).default("near"),
    /** Web pictures: re-uploads, resized and recompressed copies of one photo fall within this distance. */
    maxDistance: z.number().int().min(0).max(32).default(10),
    /**
     * Frames of one video among themselves: near copies only within this (tighter) distance. Measured (README): frames
     * a second apart of a face moving 4 px differ by 2–8 bits, as much as web re-uploads (0–4), so 10 kept 1 frame in
     * 10 and 0 keeps 9, while a still shot still gives one. -1 compares frames by their pixels only.
     */
    videoFrameDistance: z.number().int().min(-1).max(32).default(0),
  })
  .strict();

const downloadSchema = z
  .object({
    concurrency: z.number().int().min(1).max(64).default(8),
    timeoutSeconds: z.number().min(1).max(600).default(20),
    maxBytes: z.number().int().min(1024).max(500_000_000).default(20_000_000),
    maxRedirects: z.number().int().min(0).max(20).default(5),
  })
  .strict();

const trainSchema = z
  .object({
    /** Epochs of the head's one-cycle schedule (fastai fine_tune(epochs) with the backbone frozen); an epoch shows every view of every training image. */
    epochs: z.number().int().min(1).max(1000).default(8),
    /** Peak learning rate of the one-cycle schedule (`deepfake-studio train --lr-find` suggests one). */
    learningRate: z.number().gt(0).max(10).default(0.002),
    /** Share of the images held out for validation (fastai RandomSplitter(valid_pct=0.2)). */
    validPct: z.number().gt(0).lt(1).default(0.2),
    /** Seed of the split, the augmentation draws, dropout and shuffling: same seed, same data → same run. */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
    batchSize: z.number().int().min(1).max(4096).default(32),
    /** Extra augmented views (flip, random resized crop, lighting) cached per training image; 4 measured best for its cost. */
    augmentViews: z.number().int().min(0).max(16).default(4),
    /** Dropout on the standardised features before the dense layer (measured no better than none on the reference set). */
    dropout: z.number().min(0).lt(1).default(0),
    /** Decoupled (AdamW) weight decay of the dense weights. */
    weightDecay: z.number().min(0).max(10).default(0.01),
    /**
     * Heads trained side by side from different seeds (shuffling, dropout) and averaged into one after every epoch: a
     * linear head's average is one linear head, so export and predict see no difference. One head's level moved from
     * face to face with its seed on same-person fakes; five measured steadier (BENCHMARKS.md, "Averaged heads").
     */
    heads: z.number().int().min(1).max(32).default(5),
    /** Backbone id, model.json path or URL; the --backbone option and DEEPFAKE_STUDIO_BACKBONE take precedence. */
    backbone: z.string().trim().min(1).optional(),
    /**
     * Also pool early and mid-level activations over the inner face only (where blending traces are). Meant for
     * face crops: unset, it follows faceCrop. Set it true when the pictures are already face crops framed like the
     * studio's (the demo's), false to compare.
     */
    facePooling: z.boolean().optional(),
    /**
     * Blending statistics (face-features/blend-statistics.ts: sharpness, edges and colour inside the inner face vs around
     * its edge, from the face's landmarks) join the backbone's features. Unset: on for faceCrop projects, off otherwise;
     * needs a face in every picture (pictures without one get the training average).
     */
    blendStatistics: z.boolean().optional(),
    /**
     * Face contrasts (face-features/face-regions.ts): the backbone's stride-4/8 activations averaged over the face's
     * landmark hull minus over the ring around it, a few hundred numbers beside the backbone's features. Needs a
     * MobileNetV2 backbone and the face's landmarks (predict and check find them). Off unless set: the static Space
     * does not compute them yet.
     */
    faceContrast: z.boolean().optional(),
    /**
     * Score each picture as the mean of the head's logits over four fixed views of it (the picture, its mirror image,
     * both zoomed into the centre: fastai's test-time augmentation), inside the exported model, so predict, check and
     * the Spaces all do it; validation is scored the same way. Costs four backbone passes a picture. Unset: on for
     * models whose every fake was synthesized (selfBlend "only"), where it was measured to help; off otherwise.
     */
    testTimeViews: z.boolean().optional(),
    /**
     * Same-person fakes synthesized from the real pictures (self-blends, and swaps between two real pictures):
     * "add" puts them in the fake category beside its pictures, "only" makes the fake category of them alone (a project
     * with real pictures only can train), "off" trains on the folders as they are. Unset: "add" for faceCrop projects
     * whose fakes show other people (the blend is visible on a face crop; training checks identity first,
     * train/choose-self-blend.ts), "off" otherwise (on a whole picture the face is too small a part to learn it).
     */
    selfBlend: z.enum(["off", "add", "only"]).optional(),
    /** Self-blends per real picture (plus one same-person swap, see selfBlendSwaps, when the split holds another real picture with a face). */
    selfBlendPerImage: z.number().int().min(1).max(16).default(2),
    /** Also swap faces between two real pictures of one split (turn off when the real category holds several people). */
    selfBlendSwaps: z.boolean().default(true),
    /**
     * Who trains: "studio" (frozen backbone + head, offline, in Node), "torch" (the whole network, fastai fine_tune, in
     * the user's PyTorch) or "hf-jobs" (the same fine-tune as a Hugging Face GPU Job; needs a Pro or Team plan).
     */
    engine: z.enum(["studio", "torch", "hf-jobs"]).default("studio"),
    /** Engine "hf-jobs": where and on what the Job runs. */
    hfJobs: z
      .object({
        /** Hardware, as the hub names it: t4-small, t4-medium, l4x1, a10g-small, a10g-large, a100-large, cpu-basic… */
        flavor: z.string().trim().regex(/^[a-z0-9-]+$/, "is a hardware name such as t4-small or a10g-small").default("t4-small"),
        /** The Docker image (pinned: the same PyTorch every run). */
        image: z.string().trim().min(1).default("pytorch/pytorch:2.6.0-cuda12.4-cudnn9-runtime"),
        /** User or organisation the Job, the dataset and the model belong to; default: the token's user. */
        namespace: z.string().trim().min(1).optional(),
        /** Private dataset repository for the pictures ("name" or "owner/name"); default: <project>-deepfake-studio-data. */
        dataset: z.string().trim().min(1).optional(),
        /** Private model repository the Job writes model.onnx to; default: <project>-deepfake-studio-runs. */
        modelRepo: z.string().trim().min(1).optional(),
        /** The hub stops the Job after this long (it is billed until then). */
        timeoutMinutes: z.number().positive().max(7 * 24 * 60).default(60),
      })
      .strict()
      .default({}),
    /** Python interpreter for engine "torch" (path or command); unset: python3, python, then /usr/bin/python3, the first that has torch. */
    python: z.string().trim().min(1).optional(),
    /** Unfrozen epochs of engine "torch" (fastai fine_tune(epochs), after one frozen epoch); --epochs overrides it. */
    fineTuneEpochs: z.number().int().min(1).max(1000).default(3),
    /**
     * The network engines "torch" and "hf-jobs" fine-tune: "mobilenet_v2" starts from the studio's own backbone
     * (train.backbone; works offline), "resnet18", "resnet34" and "efficientnet_b0" from torchvision's ImageNet
     * weights (downloaded once by train.py into TORCH_HOME). --torch-backbone overrides it.
     */
    torchBackbone: z
      .enum(TORCH_BACKBONES, { errorMap: () => ({ message: `names no network the torch engines know; choose ${TORCH_BACKBONE_CHOICES}` }) })
      .optional(),
  })
  .strict();

export const projectConfigSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1).default(1),
    categories: z.array(categorySchema).min(1, "needs at least one category"),
    /** Search results to keep per category (the seed's max_images=200). */
    maxImages: z.number().int().min(1).max(5000).default(200),
    /** Longest side after resizing (fastai resize_images(max_size=400)). */
    resizeMax: z.number().int().min(64).max(4096).default(400),
    /** Relative to the project folder and inside it: every command writes, moves and trashes files there. */
    dataDir: z
      .string()
      .trim()
      .min(1)
      .refine(staysInside, 'must be a folder inside the project (a relative path such as "data"), not an absolute path or one that leads out with ".."')
      .default("data"),
    /**
     * Train on faces, not whole pictures: gather/import keep the crop of each image's largest face (the picture
     * itself is kept beside it), training crops any image that is not a crop yet, and the export makes predict
     * and the Space crop the same way.
     */
    faceCrop: z.boolean().default(false),
    /**
     * The category that means manipulated, for training's same-person fakes, the shortcut audit, check and evaluate.
     * Unset: the one whose label contains "fake", else the second.
     */
    fakeLabel: z.string().trim().min(1).optional(),
    search: searchSchema.default({}),
    /** Near-duplicate removal at gather and import. */
    dedupe: dedupeSchema.default({}),
    download: downloadSchema.default({}),
    train: trainSchema.default({}),
  })
  .strict()
  // One category is enough only when the fake class is synthesized from it.
  .refine((config) => config.categories.length >= 2 || config.train.selfBlend === "only", {
    path: ["categories"],
    message: 'needs at least two categories to tell apart (or one category of real pictures with train.selfBlend "only")',
  });

export type ProjectConfig = z.infer<typeof projectConfigSchema>;
export type CategoryConfig = z.infer<typeof categorySchema>;
export type TrainConfig = z.infer<typeof trainSchema>;
export type DedupeConfig = z.infer<typeof dedupeSchema>;

/** The seed notebook's choices: two searches about Tom Cruise, 200 images each, resized to 400 px. */
export function defaultProjectConfig(): ProjectConfig {
  return projectConfigSchema.parse({
    categories: [
      { label: "Deepfake Tom Cruise", search: "Deepfake Tom Cruise photo" },
      { label: "Real Tom Cruise", search: "Tom Cruise photo" },
    ],
  });
}

/** Validates raw JSON; throws ConfigError naming the first bad field and what it must be. */
export function parseProjectConfig(raw: unknown, source = CONFIG_FILE_NAME): ProjectConfig {
  const result = projectConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`)).join("").replace(/^\./, "") || "(root)";
    throw new ConfigError(`${source}: field "${field}" ${describeIssue(issue)}.`, field, `Fix ${source} (see README, "Project file") and run the command again.`);
  }
  checkLabels(result.data, source);
  return result.data;
}

function describeIssue(issue: z.ZodIssue): string {
  if (issue.code === "unrecognized_keys") return `has unknown key(s) ${issue.keys.map((key) => `"${key}"`).join(", ")}`;
  if (issue.code === "invalid_type") return issue.received === "undefined" ? "is required" : `must be ${issue.expected}, not ${issue.received}`;
  return issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
}

function checkLabels(config: ProjectConfig, source: string): void {
  const folders = new Map<string, string>();
  config.categories.forEach((category, index) => {
    const field = `categories[${index}].label`;
    let folder: string;
    try {
      folder = labelToFolderName(category.label);
    } catch (error) {
      throw new ConfigError(`${source}: field "${field}" ${(error as Error).message}`, field);
    }
    const clash = folders.get(folder.toLowerCase());
    if (clash !== undefined) {
      throw new ConfigError(`${source}: field "${field}" ("${category.label}") would share the folder "${folder}" with "${clash}".`, field, "Give every category a distinct label.");
    }
    folders.set(folder.toLowerCase(), category.label);
  });
  if (config.fakeLabel !== undefined && !config.categories.some((category) => category.label === config.fakeLabel)) {
    throw new ConfigError(`${source}: field "fakeLabel" ("${config.fakeLabel}") is not one of the categories (${config.categories.map((category) => `"${category.label}"`).join(", ")}).`, "fakeLabel",
      ["Set it to the label of the category of manipulated pictures", { editorOnly: " (" }, { step: "fake-label" }, { editorOnly: ")" }, "."]);
  }
}

/** Reads and validates <projectDir>/deepfake-studio.json. */
export async function loadProjectConfig(projectDir: string): Promise<ProjectConfig> {
  const file = path.join(projectDir, CONFIG_FILE_NAME);
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw notAProjectFolder(projectDir);
    if (code === "ENOENT") {
      throw new ConfigError(`No ${CONFIG_FILE_NAME} in ${projectDir}.`, undefined, ["Run ", { step: "init" }, " there first", { cliOnly: " (or pass --project <folder>)" }, "."]);
    }
    throw describeFsError(error, file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${CONFIG_FILE_NAME} is not valid JSON: ${(error as Error).message}.`, undefined, ["Fix the syntax or delete the file and run ", { step: "init" }, "."]);
  }
  return parseProjectConfig(raw, CONFIG_FILE_NAME);
}

/** Writes a new project file; never overwrites an existing one. */
export async function initProject(params: { projectDir: string; config?: ProjectConfig }): Promise<string> {
  const file = path.join(params.projectDir, CONFIG_FILE_NAME);
  const config = params.config ?? defaultProjectConfig();
  checkProjectFolder(params.projectDir);
  await ensureDir(params.projectDir);
  try {
    await fs.writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new ConfigError(`${file} already exists; it was left as it is.`, undefined, "Edit it, or remove it first to start from the defaults.");
    }
    throw describeFsError(error, file);
  }
  return file;
}

/** Refuses a project path that names a file (a mistyped --project): said in words, not as ENOTDIR later on. */
export function checkProjectFolder(projectDir: string): void {
  const stat = statSync(projectDir, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) throw notAProjectFolder(projectDir);
}

function notAProjectFolder(projectDir: string): ConfigError {
  return new ConfigError(`${projectDir} is a file, not a project folder.`, undefined, `Pass the folder that holds (or is to hold) ${CONFIG_FILE_NAME}.`);
}

/** The folder holding the images of one category. */
export function categoryDir(projectDir: string, config: ProjectConfig, label: string): string {
  return path.join(resolveDataDir(projectDir, config), labelToFolderName(label));
}

/**
 * The data folder, resolved against the project folder. Refused when it leads outside the project, also through a
 * symbolic link (the file is untrusted: a shared project must not make import, clean or undo write elsewhere).
 */
export function resolveDataDir(projectDir: string, config: ProjectConfig): string {
  const dataDir = path.resolve(projectDir, config.dataDir);
  const realProject = realPathSoFar(path.resolve(projectDir));
  const realData = realPathSoFar(dataDir);
  if (!isInside(realProject, realData)) {
    const how = isInside(path.resolve(projectDir), dataDir) ? "through a symbolic link " : "";
    throw new ConfigError(
      `${CONFIG_FILE_NAME}: field "dataDir" ("${config.dataDir}") leads ${how}outside the project folder, to ${realData}.`,
      "dataDir",
      `Keep the data inside the project folder: set "dataDir" to a folder there (such as "data")${how ? " that is not a link to elsewhere" : ""}.`,
    );
  }
  return dataDir;
}

/** True when `value`, read as a path relative to the project, cannot leave it (on POSIX or Windows). */
function staysInside(value: string): boolean {
  if (path.posix.isAbsolute(value) || path.win32.isAbsolute(value)) return false;
  const normal = path.posix.normalize(value.replace(/\\/g, "/"));
  return normal !== ".." && !normal.startsWith("../");
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** The real path of `file`, following links; for a path not created yet, its nearest existing folder's real path plus the rest. */
function realPathSoFar(file: string, depth = 0): string {
  try {
    return realpathSync(file);
  } catch {
    // Missing, or a link to something missing: follow the link by hand (mkdir would create its target).
  }
  let link: string | undefined;
  try {
    link = readlinkSync(file);
  } catch {
    link = undefined;
  }
  if (link !== undefined && depth < 40) return realPathSoFar(path.resolve(path.dirname(file), link), depth + 1);
  const parent = path.dirname(file);
  return parent === file ? file : path.join(realPathSoFar(parent, depth), path.basename(file));
}
