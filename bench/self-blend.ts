/**
 * Does a detector trained on self-blends of real pictures alone catch real same-person face swaps it never saw?
 * Faces of face-api's demo photos are split by face (test faces never appear in training). Training: face crops of the
 * training faces only, train.selfBlend "only" (with and without the same-person swaps between two real pictures, which
 * share code with the test fakes). Test: crops of the held-out faces, real vs swapped with their own mirror image
 * (swapFace: aligned, colour-matched, feathered). Also, for contrast, the old recipe: real vs another person's face.
 * Also in-distribution variants: the Deepfake folder holds mirror swaps of the training faces (other faces than the test's),
 * pasted by swapFace ("mirror swaps") or through a swap tool's 128-px square ("tool-made mirror swaps").
 * Each variant is trained with whole-picture pooling, inner-face pooling (train.facePooling) and inner-face pooling plus
 * the face's blending statistics (train.blendStatistics), side by side.
 * Usage: node out/bench/self-blend.js [seeds...]   (default 1 2 3); BENCH_VARIANTS and BENCH_FEATURES ("whole,face,face+blend,face+blend+contrast") narrow it;
 * BENCH_KNOWN_LANDMARKS=1 trains on the renderer's landmarks instead of the detector's; BENCH_TRAIN (JSON) overrides train settings;
 * BENCH_TEST_GENERATOR=128 makes the held-out swaps as swap tools paste a generator's output (swapFaceThroughGenerator:
 * a 128-px aligned square, an ellipse mask, no colour matching), so they share no blending code with the training fakes.
 * Trains with 2 augmented views (a project's default is 4: BENCH_TRAIN='{"augmentViews":4}'); reports balanced accuracy
 * at the export's threshold and the ROC AUC of P(Deepfake), which does not move with where unseen faces fall against it.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { exportModel } from "../src/core/export/export-model";
import { rocAuc } from "../src/core/evaluate/roc-auc";
import { predict } from "../src/core/predict/predict";
import { parseProjectConfig } from "../src/core/project/project-config";
import { drawCropVariation } from "../src/core/reference-data/crop-variation";
import { loadSourceFaces, type SourceFace, type SourcePhoto } from "../src/core/reference-data/load-source-faces";
import { pickDonor } from "../src/core/reference-data/pick-donor";
import { renderFaceSample } from "../src/core/reference-data/render-face-sample";
import { createSeededRandom } from "../src/core/shared/seeded-random";
import { rememberFace } from "../src/core/face-features/face-landmarks";
import { train } from "../src/core/train/train";

export const TEST_FACES = 6;
/** Training finds its faces with the detector, as a user's training does; BENCH_KNOWN_LANDMARKS=1 gives it the renderer's landmarks instead. */
const detectedLandmarks = process.env.BENCH_KNOWN_LANDMARKS !== "1";
/** BENCH_TRAIN='{"weightDecay": 1}': train settings to try on every project. */
const trainOverrides = JSON.parse(process.env.BENCH_TRAIN ?? "{}") as Record<string, unknown>;
/** BENCH_TEST_GENERATOR=128: the held-out swaps pass through a face generator's aligned square of that side (inswapper's 128 px) instead of swapFace's paste at the photo's resolution. */
const testGeneratorSide = process.env.BENCH_TEST_GENERATOR === undefined ? undefined : Number(process.env.BENCH_TEST_GENERATOR);
/** The "tool-made mirror swaps" variant trains on swaps pasted through a generator square of this side (inswapper's). */
const TOOL_GENERATOR_SIDE = 128;
const CROPS_PER_TRAIN_FACE = 8;
const CROPS_PER_TEST_FACE = 5;

export type Variant = "self-blends only" | "self-blends + swaps" | "mirror swaps" | "mirror swaps + self-blends" | "tool-made mirror swaps" | "other-person swaps (old demo)";
/** What the head sees: whole-picture pooling, + inner-face pooling, + the face's blending statistics. */
type Features = "whole" | "face" | "face+blend" | "face+blend+contrast";

interface Outcome {
  seed: number;
  variant: Variant;
  features: Features;
  realAccuracy: number;
  swapAccuracy: number;
  accuracy: number;
  /** ROC AUC of P(Deepfake): how well the model ranks the held-out crops, whatever the threshold. */
  auc: number;
  blendsCaught: number | null;
  seconds: number;
}

export async function writeCrop(file: string, pixels: Uint8Array): Promise<Buffer> {
  const jpeg = await sharp(pixels, { raw: { width: 224, height: 224, channels: 3 } }).jpeg({ quality: 90, chromaSubsampling: "4:2:0" }).toBuffer();
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, jpeg);
  return jpeg;
}

/** A held-out picture and the label it should get. */
export interface HeldOutPicture {
  file: string;
  expected: string;
}

/** Writes a variant's training crops of the training faces into projectDir/data (Real, and Deepfake where the variant has one). */
export async function writeTrainingData(params: { projectDir: string; seed: number; variant: Variant; photos: SourcePhoto[]; trainFaces: SourceFace[] }): Promise<void> {
  const { projectDir } = params;
  const random = createSeededRandom(params.seed).derive(7);
  const oldRecipe = params.variant === "other-person swaps (old demo)";
  for (const [f, face] of params.trainFaces.entries()) {
    for (let k = 0; k < CROPS_PER_TRAIN_FACE; k++) {
      const sample = renderFaceSample({ photos: params.photos, face, variation: drawCropVariation(random.derive(1, f, k)), size: 224 });
      const jpeg = await writeCrop(path.join(projectDir, "data", "Real", `face${f}-${k}.jpg`), sample.pixels);
      // With known landmarks training skips the detector (measures the classifier alone); by default it detects,
      // as predict does at test time: landmarks from one source in training and another in testing cost 3 points (BENCHMARKS.md).
      if (!detectedLandmarks) await rememberFace({ projectDir, sha256: createHash("sha256").update(jpeg).digest("hex"), landmarks: sample.landmarks });
      const mirrorSwaps = params.variant.includes("mirror swaps");
      if (mirrorSwaps) {
        const generatorSide = params.variant === "tool-made mirror swaps" ? TOOL_GENERATOR_SIDE : undefined;
        const fake = renderFaceSample({ photos: params.photos, face, donor: { face, mirror: true, generatorSide }, variation: drawCropVariation(random.derive(3, f, k)), size: 224 });
        const fakeJpeg = await writeCrop(path.join(projectDir, "data", "Deepfake", `face${f}-${k}.jpg`), fake.pixels);
        // Known for the fakes too, so neither class's landmarks come from the detector in training.
        if (!detectedLandmarks) await rememberFace({ projectDir, sha256: createHash("sha256").update(fakeJpeg).digest("hex"), landmarks: fake.landmarks });
      }
      if (oldRecipe) {
        const others = params.trainFaces.filter((other) => other !== face);
        const pick = pickDonor(face.landmarks, others.map((other) => other.landmarks), random.derive(2, f, k));
        const fake = renderFaceSample({ photos: params.photos, face, donor: { face: others[pick.index], mirror: pick.mirror }, variation: drawCropVariation(random.derive(3, f, k)), size: 224 });
        await writeCrop(path.join(projectDir, "data", "Deepfake", `face${f}-${k}.jpg`), fake.pixels);
      }
    }
  }
}

/** Balanced accuracy (at the export's threshold) and ROC AUC of an export on the held-out pictures, through predict (as a user runs it). */
export async function scoreHeldOut(modelDir: string, tests: HeldOutPicture[]): Promise<{ realAccuracy: number; swapAccuracy: number; accuracy: number; auc: number; scores: number[] }> {
  const results = await predict({ modelDir, inputs: tests.map((test) => test.file) });
  const right = (expected: string) => {
    const of = results.filter((_, i) => tests[i].expected === expected);
    return of.filter((result) => !("error" in result) && result.label === expected).length / of.length;
  };
  const [realAccuracy, swapAccuracy] = [right("Real"), right("Deepfake")];
  // A picture predict could not score ranks lowest, as it can never be flagged.
  const scores = results.map((result) => ("error" in result ? -1 : result.probabilities.Deepfake ?? 0));
  const auc = rocAuc({ scores, positives: tests.map((test) => test.expected === "Deepfake") });
  return { realAccuracy, swapAccuracy, accuracy: (realAccuracy + swapAccuracy) / 2, auc, scores };
}

/** The seed's split by face (test faces never seen in training) and the held-out crops: real vs swapped with its own mirror image. */
export async function splitByFace(params: { root: string; seed: number; photos: SourcePhoto[]; faces: SourceFace[]; generatorSide?: number }): Promise<{ trainFaces: SourceFace[]; testFaces: SourceFace[]; tests: HeldOutPicture[] }> {
  const { root, seed, photos } = params;
  const order = createSeededRandom(seed).shuffle(params.faces);
  const testFaces = order.slice(0, TEST_FACES);
  const trainFaces = order.slice(TEST_FACES);
  const tests: HeldOutPicture[] = [];
  const random = createSeededRandom(seed).derive(9);
  for (const [f, face] of testFaces.entries()) {
    for (let k = 0; k < CROPS_PER_TEST_FACE; k++) {
      const real = renderFaceSample({ photos, face, variation: drawCropVariation(random.derive(1, f, k)), size: 224 });
      const swap = renderFaceSample({ photos, face, donor: { face, mirror: true, generatorSide: params.generatorSide }, variation: drawCropVariation(random.derive(2, f, k)), size: 224 });
      const [realFile, swapFile] = [path.join(root, `test-${seed}`, "real", `face${f}-${k}.jpg`), path.join(root, `test-${seed}`, "swap", `face${f}-${k}.jpg`)];
      await writeCrop(realFile, real.pixels);
      await writeCrop(swapFile, swap.pixels);
      tests.push({ file: realFile, expected: "Real" }, { file: swapFile, expected: "Deepfake" });
    }
  }
  return { trainFaces, testFaces, tests };
}

async function runOne(params: { root: string; seed: number; variant: Variant; features: Features; photos: SourcePhoto[]; trainFaces: SourceFace[]; allFaces: SourceFace[]; tests: HeldOutPicture[]; backbone: string }): Promise<Outcome> {
  const started = performance.now();
  const projectDir = path.join(params.root, `seed-${params.seed}`, params.variant.replace(/[^a-z]+/g, "-"), params.features.replaceAll("+", "-"));
  const oldRecipe = params.variant === "other-person swaps (old demo)";
  await writeTrainingData({ projectDir, seed: params.seed, variant: params.variant, photos: params.photos, trainFaces: params.trainFaces });
  const config = parseProjectConfig({
    categories: oldRecipe || params.variant.includes("mirror swaps") ? [{ label: "Real" }, { label: "Deepfake" }] : [{ label: "Real" }],
    train: {
      seed: params.seed, selfBlend: oldRecipe || params.variant === "mirror swaps" || params.variant === "tool-made mirror swaps" ? "off" : params.variant === "mirror swaps + self-blends" ? "add" : "only", selfBlendSwaps: params.variant === "self-blends + swaps", augmentViews: 2,
      facePooling: params.features !== "whole", blendStatistics: params.features.includes("blend"), faceContrast: params.features.endsWith("contrast"),
      ...trainOverrides,
    },
  });
  await fs.writeFile(path.join(projectDir, "deepfake-studio.json"), JSON.stringify(config));
  const trained = await train({ projectDir, config, backbone: params.backbone });
  const exported = await exportModel({ projectDir, config, runId: trained.runId });
  const { realAccuracy, swapAccuracy, accuracy, auc } = await scoreHeldOut(exported.outDir, params.tests);
  return { seed: params.seed, variant: params.variant, features: params.features, realAccuracy, swapAccuracy, accuracy, auc, blendsCaught: trained.metrics.sameIdentityBlends?.share ?? null, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const seeds = process.argv.slice(2).map(Number).filter(Number.isInteger);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-self-blend-"));
  process.env.DEEPFAKE_STUDIO_CACHE ??= path.join(root, "cache");
  const backbone = await writeOfflineBackbone({ cacheDir: process.env.DEEPFAKE_STUDIO_CACHE });
  const { photos, faces } = await loadSourceFaces();
  const outcomes: Outcome[] = [];
  const featureSets = (process.env.BENCH_FEATURES ?? "whole,face,face+blend").split(",").map((value) => value.trim() as Features);
  const variants: Variant[] = (process.env.BENCH_VARIANTS?.split(",") as Variant[] | undefined) ?? ["self-blends only", "self-blends + swaps", "mirror swaps", "mirror swaps + self-blends", "other-person swaps (old demo)"];
  for (const seed of seeds.length > 0 ? seeds : [1, 2, 3]) {
    const { trainFaces, tests } = await splitByFace({ root, seed, photos, faces, generatorSide: testGeneratorSide });
    for (const variant of variants) {
      for (const features of featureSets) {
        const outcome = await runOne({ root, seed, variant, features, photos, trainFaces, allFaces: faces, tests, backbone });
        outcomes.push(outcome);
        console.log(JSON.stringify(outcome));
      }
    }
  }
  const pct = (value: number | null) => (value === null ? "n/a" : `${(value * 100).toFixed(1)} %`);
  const describe: Record<Features, string> = { whole: "whole-picture pooling", face: "inner-face pooling", "face+blend": "inner-face pooling + blending statistics", "face+blend+contrast": "inner-face pooling + blending statistics + face contrasts" };
  const name = (o: { variant: Variant; features: Features }) => `${o.variant}, ${describe[o.features]}`;
  console.log("\n| training data | seed | accuracy (balanced) | AUC | real crops kept | same-person swaps caught | self-blends of valid reals caught | time |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const o of outcomes) console.log(`| ${name(o)} | ${o.seed} | ${pct(o.accuracy)} | ${o.auc.toFixed(3)} | ${pct(o.realAccuracy)} | ${pct(o.swapAccuracy)} | ${pct(o.blendsCaught)} | ${o.seconds.toFixed(0)} s |`);
  for (const variant of variants) for (const features of featureSets) {
    const of = outcomes.filter((o) => o.variant === variant && o.features === features);
    const mean = (key: "accuracy" | "auc" | "realAccuracy" | "swapAccuracy") => of.reduce((sum, o) => sum + o[key], 0) / of.length;
    console.log(`| **${name({ variant, features })}: mean over ${of.length} seeds** | | **${pct(mean("accuracy"))}** | ${mean("auc").toFixed(3)} | ${pct(mean("realAccuracy"))} | ${pct(mean("swapAccuracy"))} | | |`);
  }
  await fs.rm(root, { recursive: true, force: true });
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
