/**
 * The DataBlock half of training: list images per category, split them (RandomSplitter), and turn every image
 * (plus the augmented views of training images) into backbone features, from the project's feature cache when
 * possible. Decoding and extraction run in chunks, so memory holds one chunk of pixels at a time.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { FetchLike } from "../backbone/download-model";
import { readManifest } from "../dataset/manifest";
import { MIN_IMAGES_PER_CATEGORY } from "../dataset/train-readiness";
import { cropFaceFromBytes } from "../face-crop/crop-largest-face";
import { FACE_CROP_VERSION, faceCropSettings, type FaceCropSettings } from "../face-crop/face-crop-settings";
import { ImageRejectedError } from "../shared/process-image";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { throwIfAborted } from "../shared/errors";
import type { HintPart } from "../shared/hint";
import { labelToFolderName } from "../shared/labels";
import type { OperationOptions } from "../shared/progress";
import { runBounded } from "../shared/run-bounded";
import { openBackboneFeatures, type BackboneFeatureInfo } from "./backbone-features";
import { chooseDefaultSelfBlend } from "./choose-self-blend";
import { decodeTrainingImage, UnreadableImageError } from "./decode-training-image";
import { openFeatureCache } from "./feature-cache";
import { listTrainingImages, type TrainingImage } from "../dataset/list-training-images";
import { pruneTrainingCaches } from "./prune-training-caches";
import { randomSplitter, type Split } from "./random-splitter";
import type { Preprocess } from "./run-files";
import { DatasetTooLargeError, TrainingDataError } from "./train-errors";
import { AUGMENT_RECIPE } from "./view-transform";
import { TEST_TIME_RECIPE, TEST_TIME_VIEWS } from "../shared/test-time-views";
import { computeBlendStatistics, type BlendStatisticsSource } from "./blend-statistics-rows";
import { computeFaceContrasts } from "./face-contrast-rows";
import { FACE_REGIONS_VERSION, faceRegionGrid } from "../face-features/face-regions";
import { BLEND_STATISTICS_COUNT, BLEND_STATISTICS_VERSION } from "../face-features/blend-statistics";
import type { FacePoint } from "../face-nets/detect-faces";
import { checkRealCategories, checkSynthesized, describeSynthesis, ownImages, sumCounts } from "./synthesis-checks";
import { resolveSelfBlend, synthesizeTrainingFakes, type SelfBlendMode, type SyntheticImage } from "../synthesize/training-fakes";

/** One readable image with its feature rows. */
export interface PreparedItem extends TrainingImage {
  labelIndex: number;
  split: "train" | "valid";
  sha256: string;
  /** Row in `features` of each view: [0] is the plain image, then the augmented views (training images only). */
  rows: number[];
  /** Synthesized from a real picture (`source`, relative to the data folder); not a file of the data folder. */
  synthetic?: { kind: "self-blend" | "same-person-swap"; source: string };
}

/** Everything the head needs, plus what the run files record. */
export interface PreparedData {
  labels: string[];
  dataDir: string;
  /** Readable images, in sorted path order. */
  items: PreparedItem[];
  /** rowCount x featureLength; rows of unreadable images stay zero and are never referenced. */
  features: Float32Array;
  /** The backbone's features, then the face contrasts (preprocess.faceContrast), then the blending statistics (preprocess.blendStatistics). */
  featureLength: number;
  /** Columns [from, to) are weighted `factor` after standardisation (a small group of features among many). */
  emphasis?: Array<{ from: number; to: number; factor: number }>;
  info: BackboneFeatureInfo;
  preprocess: Preprocess;
  /** Files left out: unreadable, or (faceCrop projects) pictures in which no face was found. */
  unreadable: Array<{ file: string; reason: string }>;
  /** Pictures of the data folder per split and label (synthesized ones are in `synthesized`). */
  counts: { train: Record<string, number>; valid: Record<string, number> };
  /** Same-person fakes synthesized from the real pictures, per split and label. */
  synthesized: { train: Record<string, number>; valid: Record<string, number> };
  /** train.selfBlend as resolved, and why it is not the project file's default when it is not (chooseDefaultSelfBlend). */
  selfBlend: { mode: SelfBlendMode; perImage: number; fakeLabel?: string; choice?: string };
  /** Feature rows of self-blends of the validation real pictures (scored after training), or why there are none. */
  probes: { rows: number[]; problem?: string };
  /** Every validation picture's rows (its plain row, then its test-time views), by its plain row: how the exported model scores it. */
  viewsOfRow: Map<number, number[]>;
  /** Vectors read from the cache vs computed by the backbone in this call, and stale ones removed. */
  cache: { dir: string; hits: number; computed: number; pruned: { files: number; bytes: number } };
  /** Wall-clock seconds: reading, hashing, cache lookups and decoding vs backbone inference and cache writes. */
  phases: { decode: number; features: number };
  warnings: string[];
}

/** Parameters of prepareTrainingData. */
export interface PrepareTrainingDataParams extends OperationOptions {
  projectDir: string;
  config: ProjectConfig;
  /** Overrides DEEPFAKE_STUDIO_BACKBONE and the project's train.backbone. */
  backbone?: string;
  /** Overrides the project's train.augmentViews. */
  augmentViews?: number;
  env?: NodeJS.ProcessEnv;
  fetch?: FetchLike;
  /** Memory the features (and their standardised copy) may take; default min(2 GiB, half the RAM). */
  maxFeatureBytes?: number;
  /** Resampling kernel of the squish resize (default "linear": what browsers and PIL's bilinear reproduce). */
  kernel?: Preprocess["kernel"];
}

// Lives with trainReadiness (the same rules, asked before offering Train); re-exported for train's callers.
export { MIN_IMAGES_PER_CATEGORY };
/** Backbone batch, as fastai's default bs=64 halved for 2-core machines; also the ONNX batch measured fastest. */
const BATCH = 32;
/** Images decoded together before their views go to the backbone. */
const CHUNK = 16;
/** Files read and decoded at once (sharp works on libuv threads). */
const IO_CONCURRENCY = 4;
const DEFAULT_KERNEL: Preprocess["kernel"] = "linear";
/** Bump when decoding or view rendering changes pixels, so features cached from the old pixels are not reused. */
const PIXEL_PIPELINE_VERSION = "p1";

/** Lists, splits, checks and featurises the project's images. */
export async function prepareTrainingData(params: PrepareTrainingDataParams): Promise<PreparedData> {
  const { config, signal, onProgress } = params;
  const settings = config.train;
  const augmentViews = params.augmentViews ?? settings.augmentViews;
  const kernel = params.kernel ?? DEFAULT_KERNEL;
  let selfBlend = resolveSelfBlend(config);
  const labels = selfBlend.labels;
  const dataDir = resolveDataDir(params.projectDir, config);
  const decodeStarted = performance.now();
  onProgress?.({ event: "phase", phase: "list", message: `Listing images in ${dataDir}` });
  const { own, ignored } = ownImages(await listTrainingImages({ dataDir, labels }), selfBlend);
  // Unset, the face-crop default adds self-blends only where the fakes show other people.
  let selfBlendChoice: string | undefined;
  if (settings.selfBlend === undefined) {
    ({ plan: selfBlend, note: selfBlendChoice } = await chooseDefaultSelfBlend({ projectDir: params.projectDir, plan: selfBlend, pictures: own, seed: settings.seed, onProgress, signal }));
    if (selfBlendChoice) onProgress?.({ event: "log", message: selfBlendChoice });
  }
  const synthesizedLabel = selfBlend.mode === "only" ? selfBlend.fakeLabel : undefined;
  checkCategories(labels, own, dataDir, [], synthesizedLabel);
  const split = randomSplitter({ count: own.length, validPct: settings.validPct, seed: settings.seed });
  const ownIsTrain = new Uint8Array(own.length);
  for (const index of split.train) ownIsTrain[index] = 1;
  // Fakes made from the real pictures join the split of their source, so validation never holds a near-copy of a training picture.
  const fakes = await synthesizeTrainingFakes({ projectDir: params.projectDir, plan: selfBlend, listed: own, isTrain: ownIsTrain, seed: settings.seed, onProgress, signal });
  checkSynthesized(selfBlend, fakes);
  const listed: Array<TrainingImage & { synthetic?: SyntheticImage["synthetic"] }> = [...own, ...fakes.images];
  const isTrain = Uint8Array.from([...ownIsTrain, ...fakes.images.map((image) => (image.split === "train" ? 1 : 0))]);
  const sourceOf = (index: number): number => (index < own.length ? index : fakes.images[index - own.length].sourceIndex);
  const used = (index: number): boolean => !listed[index].synthetic?.probeOnly;
  const indices = listed.map((_, index) => index).filter(used);
  checkSplit(labels, listed, indices.filter((i) => isTrain[i]), indices.filter((i) => !isTrain[i]), settings.validPct);
  const listSeconds = (performance.now() - decodeStarted) / 1000;

  const faceRegion = params.config.train.facePooling ?? params.config.faceCrop;
  const testTimeViews = useTestTimeViews(config, selfBlend.mode);
  // Training pictures: the plain view, then the augmented views (cache views 1..n). Validation pictures: the plain
  // view, then the test-time views the exported model will average (cache views -1..-m: another recipe's files).
  const viewIdsOf = (index: number): number[] => (isTrain[index]
    ? Array.from({ length: 1 + augmentViews }, (_, view) => view)
    : Array.from({ length: testTimeViews ? TEST_TIME_VIEWS.length : 1 }, (_, view) => -view));
  const backbone = await openBackboneFeatures({ backbone: chooseBackbone(params), env: params.env, fetch: params.fetch, faceRegion, signal, onProgress });
  try {
    const { info } = backbone;
    const f = info.featureLength;
    const warnings = info.warning ? [info.warning] : [];
    // Row layout fixed up front: computing in any order (cache hits first) fills the same places.
    const rowStart: number[] = [];
    let rowCount = 0;
    for (let i = 0; i < listed.length; i++) {
      rowStart.push(rowCount);
      rowCount += viewIdsOf(i).length;
    }
    checkMemory(rowCount, f, listed.length, augmentViews, params.maxFeatureBytes);
    const features = new Float32Array(rowCount * f);
    const imagePreprocess: Preprocess = { size: [info.inputSize, info.inputSize], resize: "squish", kernel, channels: "RGB", range: [0, 255], layout: "NHWC", scaling: { ...info.scaling } };
    const faceCrop = config.faceCrop ? faceCropSettings(config) : undefined;
    const preprocess: Preprocess = faceCrop ? { ...imagePreprocess, faceCrop } : imagePreprocess;
    const cacheKey = `${info.key}-${kernel}-${PIXEL_PIPELINE_VERSION}`;
    const cache = openFeatureCache({ projectDir: params.projectDir, key: cacheKey, featureLength: f, describe: { backbone: info.backbone, preprocess: imagePreprocess, augmentRecipe: AUGMENT_RECIPE, featureLength: f, byteOrder: os.endianness() } });
    // A fake is cropped at training exactly when the picture it was made from is.
    const uncropped = faceCrop ? await listUncroppedImages(dataDir, own) : new Set<number>();
    const cropAtTraining = new Set(listed.map((_, index) => index).filter((index) => uncropped.has(sourceOf(index))));
    // A crop made here serves the features and the blending statistics: one face detection per picture.
    const cropsMade = new Map<number, Promise<Awaited<ReturnType<typeof cropForTraining>>>>();
    const cropOf = (index: number, bytes: Buffer) => {
      if (!cropsMade.has(index)) cropsMade.set(index, cropForTraining(bytes, faceCrop!));
      return cropsMade.get(index)!;
    };

    const shas: string[] = new Array(listed.length).fill("");
    // The files' own sha256 too: synthesis and face records key a picture by its content, also when training crops it.
    const fileShas: string[] = new Array(listed.length).fill("");
    const unreadable = new Map<number, string>();
    const pending: Array<{ row: number; sha: string; view: number; input: Float32Array }> = [];
    const phases = { decode: listSeconds, features: 0 };
    let hits = 0;
    let computed = 0;
    const batchInput = new Float32Array(BATCH * info.inputSize * info.inputSize * 3);

    const flush = async (all: boolean): Promise<void> => {
      while (pending.length >= BATCH || (all && pending.length > 0)) {
        throwIfAborted(signal, "training");
        const started = performance.now();
        const rows = pending.splice(0, BATCH);
        rows.forEach((row, r) => batchInput.set(row.input, r * row.input.length));
        const out = await backbone.extract(rows.length === BATCH ? batchInput : batchInput.subarray(0, rows.length * rows[0].input.length), rows.length);
        await Promise.all(rows.map(async (row, r) => {
          const vector = out.subarray(r * f, (r + 1) * f);
          features.set(vector, row.row * f);
          await cache.write(row.sha, row.view, vector);
        }));
        computed += rows.length;
        phases.features += (performance.now() - started) / 1000;
        onProgress?.({ event: "progress", phase: "features", done: hits + computed, total: rowCount, message: "feature vectors" });
      }
    };

    onProgress?.({ event: "phase", phase: "features", message: `Computing features of ${listed.length} images${fakes.images.length > 0 ? ` (${fakes.images.length} synthesized)` : ""}${augmentViews > 0 ? ` (+${augmentViews} augmented views of each training image)` : ""} with ${info.backbone.id}` });
    for (let start = 0; start < listed.length; start += CHUNK) {
      throwIfAborted(signal, "training");
      const started = performance.now();
      const chunk = Array.from({ length: Math.min(CHUNK, listed.length - start) }, (_, k) => start + k);
      const produced: Array<Array<{ row: number; sha: string; view: number; input: Float32Array }>> = chunk.map(() => []);
      await runBounded(chunk, IO_CONCURRENCY, async (index, k) => {
        const ids = viewIdsOf(index);
        let bytes: Buffer;
        try {
          bytes = await fs.readFile(listed[index].file);
        } catch (error) {
          unreadable.set(index, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
          return;
        }
        const fileSha = createHash("sha256").update(bytes).digest("hex");
        // A crop made here is cached under its own key: the file's bytes plus the recipe that cut it.
        const sha = faceCrop && cropAtTraining.has(index) ? faceCropKey(fileSha, faceCrop) : fileSha;
        shas[index] = sha;
        fileShas[index] = fileSha;
        const missing: number[] = [];
        for (let slot = 0; slot < ids.length; slot++) {
          if (await cache.readInto(sha, ids[slot], features, (rowStart[index] + slot) * f)) hits += 1;
          else missing.push(slot);
        }
        if (missing.length === 0) return;
        let imageBytes: Uint8Array = bytes;
        if (faceCrop && cropAtTraining.has(index)) {
          const cropped = await cropOf(index, bytes);
          if (typeof cropped === "string") {
            unreadable.set(index, cropped);
            return;
          }
          imageBytes = cropped.jpeg;
        }
        try {
          const inputs = await decodeTrainingImage({ bytes: imageBytes, contentSha256: sha, preprocess, views: missing.map((slot) => ids[slot]) });
          produced[k] = inputs.map((input, v) => ({ row: rowStart[index] + missing[v], sha, view: ids[missing[v]], input }));
        } catch (error) {
          if (!(error instanceof UnreadableImageError)) throw error;
          unreadable.set(index, error.message);
        }
      }, signal);
      throwIfAborted(signal, "training");
      // In list order, so batches (and any float differences between batch sizes) do not depend on timing.
      for (const rows of produced) pending.push(...rows);
      phases.decode += (performance.now() - started) / 1000;
      if (hits > 0 || computed > 0) onProgress?.({ event: "progress", phase: "features", done: hits + computed, total: rowCount, message: "feature vectors" });
      await flush(false);
    }
    await flush(true);

    const wantsBlend = config.train.blendStatistics ?? Boolean(config.faceCrop);
    const wantsContrast = config.train.faceContrast ?? false;
    const sources = wantsBlend || wantsContrast ? listed.map((image, index): BlendStatisticsSource | undefined => {
        if (unreadable.has(index)) return undefined;
        const read = (file: string) => () => fs.readFile(file).catch(() => undefined);
        if (faceCrop && cropAtTraining.has(index)) {
          const ok = async () => {
            let made = cropsMade.get(index);
            if (!made) {
              const bytes = await read(image.file)();
              if (!bytes) return undefined;
              made = cropOf(index, bytes);
            }
            const crop = await made;
            return typeof crop === "object" ? crop : undefined;
          };
          return { sha256: shas[index], bytes: async () => (await ok())?.jpeg, landmarks: async () => (await ok())?.landmarks, faceOf: async () => undefined };
        }
        // A picture's own face is looked up in the bytes already read; a fake's in the picture it was made from.
        let ownBytes: Promise<Buffer | undefined> | undefined;
        const bytes = () => (ownBytes ??= read(image.file)());
        return { sha256: shas[index], bytes, faceOf: sourceOf(index) === index ? bytes : read(listed[sourceOf(index)].file) };
      }) : [];
    const contrast = wantsContrast ? await faceContrastColumns({ projectDir: params.projectDir, sources, imagePreprocess, backbone: chooseBackbone(params), env: params.env, fetch: params.fetch, signal, onProgress }) : undefined;
    const blend = wantsBlend ? await blendStatisticsColumns({ projectDir: params.projectDir, sources, isTrain, imagePreprocess, signal, onProgress }) : undefined;
    const widened = widenRows({ features, f, rowStart, rowCount, viewCount: (index) => viewIdsOf(index).length, sources, blocks: [contrast, blend].filter((block) => block !== undefined) });
    if (blend?.warning) warnings.push(blend.warning);

    const items: PreparedItem[] = [];
    const probes: PreparedData["probes"] = { rows: [], problem: fakes.problem };
    const viewsOfRow = new Map<number, number[]>();
    for (let index = 0; index < listed.length; index++) {
      if (unreadable.has(index)) continue;
      const views = viewIdsOf(index).length;
      const { synthetic, ...image } = listed[index];
      const item: PreparedItem = { ...image, labelIndex: labels.indexOf(image.label), split: isTrain[index] ? "train" : "valid", sha256: shas[index], rows: Array.from({ length: views }, (_, v) => rowStart[index] + v), ...(synthetic ? { synthetic: { kind: synthetic.kind, source: synthetic.source } } : {}) };
      if (item.split === "valid") viewsOfRow.set(item.rows[0], item.rows);
      if (synthetic?.kind === "self-blend" && item.split === "valid") probes.rows.push(item.rows[0]);
      if (used(index)) items.push(item);
    }
    const croppedHere = [...cropAtTraining].filter((index) => index < own.length && !unreadable.has(index)).length;
    if (croppedHere > 0) {
      warnings.push(`${croppedHere} image(s) in the label folders were not face crops yet (added by hand, or before faceCrop was turned on); training cropped their largest face. Import them again to keep the crops in the dataset.`);
    }
    const unreadableList = [...unreadable.entries()].sort(([a], [b]) => a - b).map(([index, reason]) => ({ file: listed[index].relative, reason }));
    for (const entry of unreadableList) onProgress?.({ event: "warning", message: `Skipped ${entry.file}: ${entry.reason}.` });
    checkCategories(labels, items, dataDir, unreadableList);
    const counted = items.filter((item) => !item.synthetic);
    const counts = countSplits(labels, counted.filter((item) => item.split === "train"), counted.filter((item) => item.split === "valid"));
    const synthesized = countSplits(labels, items.filter((item) => item.synthetic && item.split === "train"), items.filter((item) => item.synthetic && item.split === "valid"));
    checkTrainable(labels, { train: sumCounts(counts.train, synthesized.train), valid: sumCounts(counts.valid, synthesized.valid) }, unreadableList.length);
    warnings.push(...describeSynthesis(selfBlend, fakes, ignored));
    if (items.every((item) => item.split === "train")) {
      throw new TrainingDataError(`Every validation image is unreadable (${unreadableList.length} file(s) skipped), so nothing is left to measure the error rate on.`, "empty-split", "Replace or delete the unreadable files listed above.");
    }
    for (const label of labels) {
      if (counts.valid[label] + synthesized.valid[label] === 0) warnings.push(`No validation image of "${label}" in this split; the error rate does not cover it. Add images or change train.seed.`);
    }
    const pruned = await pruneTrainingCaches({ projectDir: params.projectDir, featureDir: cache.dir, keys: setOf(shas), contents: setOf(fileShas), onProgress });
    // The loader reported the backbone's own warning if it loaded the model just now; repeat it otherwise.
    for (const warning of warnings.slice(info.warning && backbone.converted ? 1 : 0)) onProgress?.({ event: "warning", message: warning });
    const extraPreprocess = { ...(contrast ? { faceContrast: contrast.record } : {}), ...(blend ? { blendStatistics: blend.record } : {}), ...(testTimeViews ? { testTimeViews: { recipe: TEST_TIME_RECIPE, views: TEST_TIME_VIEWS.map((view) => ({ ...view })) } } : {}) };
    return { labels, dataDir, items, features: widened.features, featureLength: widened.width, ...(widened.emphasis.length > 0 ? { emphasis: widened.emphasis } : {}), info, preprocess: { ...preprocess, ...extraPreprocess }, unreadable: unreadableList, counts, synthesized, selfBlend: { mode: selfBlend.mode, perImage: selfBlend.perImage, fakeLabel: selfBlend.fakeLabel, ...(selfBlendChoice ? { choice: selfBlendChoice } : {}) }, probes, viewsOfRow, cache: { dir: cache.dir, hits, computed, pruned }, phases, warnings };
  } finally {
    await backbone.release();
  }
}

/**
 * Whether the model scores a picture over its test-time views (train.testTimeViews). Unset: for models whose every
 * fake was synthesized, where they were measured to help (BENCHMARKS.md, "Test-time views"); never with face
 * contrasts, whose regions are measured on the plain picture only.
 */
export function useTestTimeViews(config: ProjectConfig, mode: SelfBlendMode): boolean {
  if (config.train.faceContrast) return false;
  return config.train.testTimeViews ?? mode === "only";
}

/** Numbers measured once per picture and given to each of its views, after the backbone's features. */
interface ExtraColumns {
  /** Per source: its numbers (a picture without them already has a stand-in here), or undefined when it has no source. */
  values: Array<Float32Array | undefined>;
  count: number;
  /** How many times the backbone's weight the block gets together (1 when absent). */
  weight?: number;
}

/**
 * The blending statistics count this many times as much as the backbone's features together. Chosen by 4-fold
 * cross-validation over the *training* faces of the self-blend bench (held-out faces never looked at; bench/blend-weight-cv.ts):
 * balanced accuracy on unseen faces 0.750 at 1, 0.775 at 2, 0.78–0.79 from 3 to 12 (BENCHMARKS.md). A few
 * dozen numbers about the face's borders, pose and light say more about a paste than thousands of general features.
 */
export const BLEND_STATISTICS_WEIGHT = 4;

/**
 * The backbone's features widened by each block of per-picture numbers (each view of a picture gets the plain
 * picture's numbers: the augmented views vary the backbone's input, the face's blending stays the same). Each block
 * is weighted, after standardisation, to count as much as the backbone's features together (times its own weight):
 * a few hundred or a hundred numbers would otherwise drown among thousands.
 */
function widenRows(params: { features: Float32Array; f: number; rowStart: readonly number[]; rowCount: number; viewCount: (index: number) => number; sources: readonly unknown[]; blocks: readonly ExtraColumns[] }): { features: Float32Array; width: number; emphasis: Array<{ from: number; to: number; factor: number }> } {
  const { f, rowStart, blocks } = params;
  if (blocks.length === 0) return { features: params.features, width: f, emphasis: [] };
  const width = f + blocks.reduce((sum, block) => sum + block.count, 0);
  const features = new Float32Array(params.rowCount * width);
  params.sources.forEach((source, index) => {
    if (!source) return;
    const views = params.viewCount(index);
    for (let view = 0; view < views; view++) {
      const row = rowStart[index] + view;
      features.set(params.features.subarray(row * f, (row + 1) * f), row * width);
      let at = row * width + f;
      for (const block of blocks) {
        features.set(block.values[index]!, at);
        at += block.count;
      }
    }
  });
  const emphasis: Array<{ from: number; to: number; factor: number }> = [];
  let from = f;
  for (const block of blocks) {
    emphasis.push({ from, to: from + block.count, factor: (block.weight ?? 1) * Math.sqrt(f / block.count) });
    from += block.count;
  }
  return { features, width, emphasis };
}

/** Every picture's blending statistics; pictures without a face get the training average, which is also what runners feed when they find no face. */
async function blendStatisticsColumns(params: OperationOptions & { projectDir: string; isTrain: ArrayLike<number>; imagePreprocess: Preprocess; sources: ReadonlyArray<BlendStatisticsSource | undefined> }): Promise<ExtraColumns & { record: NonNullable<Preprocess["blendStatistics"]>; warning?: string }> {
  const k = BLEND_STATISTICS_COUNT;
  const statistics = await computeBlendStatistics({ projectDir: params.projectDir, sources: params.sources, preprocess: params.imagePreprocess, signal: params.signal, onProgress: params.onProgress });
  const fill = new Float64Array(k);
  let measured = 0;
  statistics.forEach((values, index) => {
    if (!values || !params.isTrain[index]) return;
    measured += 1;
    for (let j = 0; j < k; j++) fill[j] += values[j];
  });
  for (let j = 0; j < k; j++) fill[j] = measured > 0 ? fill[j] / measured : 0;
  const missing = params.sources.filter((source, index) => source !== undefined && statistics[index] === undefined).length;
  return {
    values: params.sources.map((source, index) => (source ? statistics[index] ?? Float32Array.from(fill) : undefined)),
    count: k,
    weight: BLEND_STATISTICS_WEIGHT,
    record: { version: BLEND_STATISTICS_VERSION, count: k, missing: Array.from(fill, (value) => Math.fround(value)) },
    warning: missing > 0 ? `No face was found in ${missing} picture(s) for the blending statistics; they were given the training average.` : undefined,
  };
}

/** Every picture's face contrasts (train.faceContrast), from the backbone's contrast graph. */
async function faceContrastColumns(params: OperationOptions & { projectDir: string; imagePreprocess: Preprocess; sources: ReadonlyArray<BlendStatisticsSource | undefined>; backbone?: string; env?: NodeJS.ProcessEnv; fetch?: FetchLike }): Promise<ExtraColumns & { record: NonNullable<Preprocess["faceContrast"]> }> {
  const contrast = await openBackboneFeatures({ backbone: params.backbone, env: params.env, fetch: params.fetch, faceContrast: true, signal: params.signal, onProgress: params.onProgress });
  try {
    const values = await computeFaceContrasts({ projectDir: params.projectDir, sources: params.sources, preprocess: params.imagePreprocess, contrast, signal: params.signal, onProgress: params.onProgress });
    const count = contrast.info.featureLength;
    // A source whose picture could not be read again has no row that is ever used; zeros keep the layout.
    return {
      values: params.sources.map((source, index) => (source ? values[index] ?? new Float32Array(count) : undefined)),
      count,
      record: { version: FACE_REGIONS_VERSION, grid: faceRegionGrid(params.imagePreprocess.size[1]), count, taps: contrast.info.taps.map((tap) => ({ layer: tap.layer, pooling: tap.pooling.filter((pooling) => pooling === "face-contrast") })) },
    };
  } finally {
    await contrast.release();
  }
}

/** fastai's get_image_files + RandomSplitter with the studio's checks: every engine trains on this same split. */
export async function listAndSplit(params: { config: ProjectConfig; labels: string[]; dataDir: string }): Promise<{ listed: TrainingImage[]; split: Split }> {
  const { labels, dataDir } = params;
  const listed = await listTrainingImages({ dataDir, labels });
  checkCategories(labels, listed, dataDir, []);
  const split = randomSplitter({ count: listed.length, validPct: params.config.train.validPct, seed: params.config.train.seed });
  checkSplit(labels, listed, split.train, split.valid, params.config.train.validPct);
  return { listed, split };
}

/** After unreadable files were dropped: every category still needs images, and a training image. */
export function checkReadable(labels: string[], items: ReadonlyArray<TrainingImage & { split: "train" | "valid" }>, dataDir: string, unreadable: ReadonlyArray<{ file: string }>): PreparedData["counts"] {
  checkCategories(labels, items, dataDir, unreadable);
  const counts = countSplits(labels, items.filter((item) => item.split === "train"), items.filter((item) => item.split === "valid"));
  checkTrainable(labels, counts, unreadable.length);
  if (items.every((item) => item.split === "train")) {
    throw new TrainingDataError(`Every validation image is unreadable (${unreadable.length} file(s) skipped), so nothing is left to measure the error rate on.`, "empty-split", "Replace or delete the unreadable files listed above.");
  }
  return counts;
}

/** Indices of listed images that are not crops made at gather/import (the manifest records those with their face). */
async function listUncroppedImages(dataDir: string, listed: readonly TrainingImage[]): Promise<Set<number>> {
  const crops = new Set((await readManifest(dataDir)).filter((record) => record.face !== undefined).map((record) => record.file));
  const uncropped = new Set<number>();
  listed.forEach((image, index) => {
    if (!crops.has(image.relative)) uncropped.add(index);
  });
  return uncropped;
}

/** The non-empty strings (an unread picture has no sha). */
function setOf(shas: readonly string[]): Set<string> {
  return new Set(shas.filter((sha) => sha !== ""));
}

/** Cache key of a picture cropped at training: changes with the file, the recipe and the crop code's version. */
function faceCropKey(fileSha256: string, settings: FaceCropSettings): string {
  return createHash("sha256").update(`${FACE_CROP_VERSION}\n${JSON.stringify(settings)}\n${fileSha256}`).digest("hex");
}

/** The crop's JPEG bytes and the face's landmarks in it, or why the picture cannot be trained on. */
async function cropForTraining(bytes: Buffer, settings: FaceCropSettings): Promise<{ jpeg: Uint8Array; landmarks: FacePoint[] } | string> {
  try {
    const { crop } = await cropFaceFromBytes({ bytes, settings });
    return crop ? { jpeg: crop.image.jpeg, landmarks: crop.landmarks } : "no face found, and the project crops faces (faceCrop: true); delete the picture or replace it with one that shows the face";
  } catch (error) {
    if (error instanceof ImageRejectedError) return error.message.replace(/\.$/, "");
    throw error;
  }
}

/** Param > DEEPFAKE_STUDIO_BACKBONE > the project's train.backbone (a relative path there is relative to the project). */
export function chooseBackbone(params: Pick<PrepareTrainingDataParams, "backbone" | "env" | "config" | "projectDir">): string | undefined {
  if (params.backbone) return params.backbone;
  const env = params.env ?? process.env;
  if (env.DEEPFAKE_STUDIO_BACKBONE?.trim()) return undefined;
  const configured = params.config.train.backbone;
  if (!configured || /^[a-z][a-z0-9+.-]*:\/\//i.test(configured) || path.isAbsolute(configured)) return configured;
  const local = path.resolve(params.projectDir, configured);
  return /[\\/]|\.json$/i.test(configured) ? local : configured;
}

/** Images per label, in label order, as `"Real": 40, "Deepfake": 3`. */
function describeCounts(labels: readonly string[], perLabel: Map<string, number>): string {
  return labels.map((label) => `"${label}": ${perLabel.get(label) ?? 0}`).join(", ");
}

/** At least two categories with images, and each category with MIN_IMAGES_PER_CATEGORY. */
function checkCategories(labels: readonly string[], images: readonly TrainingImage[], dataDir: string, unreadable: ReadonlyArray<{ file: string }>, synthesizedLabel?: string): void {
  if (synthesizedLabel !== undefined) {
    checkRealCategories(labels.filter((label) => label !== synthesizedLabel), images, dataDir, unreadable);
    return;
  }
  const perLabel = new Map<string, number>(labels.map((label) => [label, 0]));
  for (const image of images) perLabel.set(image.label, (perLabel.get(image.label) ?? 0) + 1);
  const counts = Object.fromEntries(perLabel);
  const short = labels.filter((label) => (perLabel.get(label) ?? 0) < MIN_IMAGES_PER_CATEGORY);
  // Names the category to import when only one falls short, so a front end can offer exactly that.
  const addHint: HintPart[] = ["Add images with ", { step: "gather" }, " or ", short.length === 1 ? { step: "import", label: short[0] } : { step: "import" }, ` (folders: ${labels.map((label) => path.join(dataDir, labelToFolderName(label))).join(", ")}).`];
  const skipped = unreadable.length > 0 ? ` (not counting ${unreadable.length} unreadable file(s))` : "";
  const withImages = labels.filter((label) => (perLabel.get(label) ?? 0) > 0);
  if (withImages.length < 2) {
    throw new TrainingDataError(`Training needs images in at least 2 categories; images per category${skipped}: ${describeCounts(labels, perLabel)}.`, "too-few-categories", addHint, counts);
  }
  if (short.length > 0) {
    throw new TrainingDataError(
      `Too few images in ${short.map((label) => `"${label}"`).join(", ")}: every category needs at least ${MIN_IMAGES_PER_CATEGORY} (some to train on, some to validate); images per category${skipped}: ${describeCounts(labels, perLabel)}.`,
      "too-few-images", addHint, counts);
  }
}

/** The split must leave something to validate on and a training image of every category. */
function checkSplit(labels: readonly string[], listed: readonly TrainingImage[], train: readonly number[], valid: readonly number[], validPct: number): void {
  if (valid.length === 0) {
    throw new TrainingDataError(`With ${listed.length} images, a ${Math.round(validPct * 100)} % validation split holds no image (fastai takes int(valid_pct × n)).`, "empty-split",
      `Add images (at least ${Math.ceil(1 / validPct)} in all) or raise train.validPct in deepfake-studio.json.`);
  }
  const counts = countSplits(labels, train.map((i) => listed[i]), valid.map((i) => listed[i]));
  checkTrainable(labels, counts, 0);
}

/** Every category needs a training image, or the head could never predict it. */
function checkTrainable(labels: readonly string[], counts: PreparedData["counts"], unreadable: number): void {
  const missing = labels.filter((label) => counts.train[label] === 0);
  if (missing.length === 0) return;
  const perSplit = Object.fromEntries(labels.map((label) => [label, { train: counts.train[label], valid: counts.valid[label] }]));
  throw new TrainingDataError(
    `The random split left no training image of ${missing.map((label) => `"${label}"`).join(", ")}; per category (train/valid): ${labels.map((label) => `"${label}": ${counts.train[label]}/${counts.valid[label]}`).join(", ")}${unreadable ? ` (${unreadable} unreadable file(s) skipped)` : ""}.`,
    "too-few-images", "Add more images to that category (gather/import), or change train.seed.", perSplit);
}

/** Images per split and label (every label present, zero when none). */
function countSplits(labels: readonly string[], train: readonly TrainingImage[], valid: readonly TrainingImage[]): PreparedData["counts"] {
  const tally = (images: readonly TrainingImage[]) => {
    const counts: Record<string, number> = Object.fromEntries(labels.map((label) => [label, 0]));
    for (const image of images) counts[image.label] += 1;
    return counts;
  };
  return { train: tally(train), valid: tally(valid) };
}

/** Refuses, before any work, a dataset whose features (raw + standardised copy) would not fit in memory. */
function checkMemory(rows: number, featureLength: number, images: number, augmentViews: number, maxBytes?: number): void {
  const limit = maxBytes ?? Math.min(2 * 1024 ** 3, os.totalmem() / 2);
  const required = rows * featureLength * 4 * 2;
  if (required <= limit) return;
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  throw new DatasetTooLargeError(
    `${images} images (${rows} feature vectors with the augmented views) x ${featureLength} features need about ${gib(required)} of memory, more than the ${gib(limit)} allowed.`,
    `Lower train.augmentViews (now ${augmentViews}) or maxImages in deepfake-studio.json, or train on fewer images.`,
    required, limit);
}
