/**
 * The studio's own case for `train.selfBlend "only"`: protect one person from their real pictures alone. Trains on face
 * crops of frames of one recording of the person (Real only; the defaults synthesize the fakes), then tests on another
 * recording, or a later stretch of the same one, never seen in training: its real frames against same-person swaps
 * of them (the face of another frame of that test stretch pasted in, at least a third of the stretch away), made
 * two ways neither of which training uses: through a swap tool's 128-px square (swapFaceThroughGenerator), and
 * swapFace's full-resolution paste with a donor from the test stretch. Balanced accuracy at the export's threshold and
 * ROC AUC, through export and predict, as a user runs them.
 * Usage: node out/bench/protect-person.js <train video> <from s> <to s> <test video> <from s> <to s> [seeds…]
 *   (BENCH_FAKES=swaps adds the person's own tool-made swaps of training frames as the fake category; BENCH_TRAIN_FPS, default 2; BENCH_TEST_FPS, default 1; BENCH_TRAIN (JSON) overrides train settings; BENCH_KEEP=1 keeps the crops;
 *   BENCH_CALIBRATE="<video> <from s> <to s>" also sets the threshold on that stretch's real frames alone, at most 5 % flagged, as
 *   `evaluate` on a folder of real pictures and `export --max-fpr 0.05` do, and adds rows at that threshold).
 * Say in BENCHMARKS.md what each recording shows and under which licence.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { exportModel } from "../src/core/export/export-model";
import { detectFaces } from "../src/core/face-nets/detect-faces";
import { confusionMatrix } from "../src/core/evaluate/confusion-matrix";
import { thresholdForFpr } from "../src/core/shared/threshold-for-fpr";
import { predict } from "../src/core/predict/predict";
import { parseProjectConfig } from "../src/core/project/project-config";
import { drawCropVariation } from "../src/core/reference-data/crop-variation";
import { isUsable, type SourceFace, type SourcePhoto } from "../src/core/reference-data/load-source-faces";
import { renderFaceSample } from "../src/core/reference-data/render-face-sample";
import { createSeededRandom, type SeededRandom } from "../src/core/shared/seeded-random";
import { train } from "../src/core/train/train";
import { findFfmpeg } from "../src/core/video/find-ffmpeg";
import { probeVideo } from "../src/core/video/probe-video";
import { readVideoFrames } from "../src/core/video/read-video-frames";
import { scoreHeldOut, writeCrop, type HeldOutPicture } from "./self-blend";

const TOOL_GENERATOR_SIDE = 128;
/** BENCH_CALIBRATE: the threshold flags at most this share of the calibration recording's real frames (evaluate's default). */
const CALIBRATION_MAX_FPR = 0.05;

/** Frames of [from, to) seconds at `fps`, each with its largest face (frames without a usable face are counted, not kept). */
async function framesWithFaces(file: string, from: number, to: number, fps: number): Promise<{ photos: SourcePhoto[]; faces: SourceFace[]; frames: number }> {
  const tools = await findFfmpeg();
  const info = await probeVideo({ file, tools });
  const photos: SourcePhoto[] = [];
  const faces: SourceFace[] = [];
  let frames = 0;
  for await (const frame of readVideoFrames({ file, tools, info, fps, maxSide: 10_000 })) {
    if (frame.time < from || frame.time >= to) continue;
    frames += 1;
    const image = { data: frame.data, width: frame.width, height: frame.height };
    // Kept as the reference photos' faces are: both eyes found, far enough apart for a 224-px crop.
    const found = (await detectFaces(image)).filter(isUsable);
    if (found.length === 0) continue;
    const largest = found.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));
    const source = `${path.basename(file)}@${frame.time.toFixed(1)}s`;
    photos.push({ source, image });
    faces.push({ ...largest, photo: photos.length - 1, source, faceIndex: 0 });
  }
  return { photos, faces, frames };
}

/** Another moment of the same person: a frame a third to two thirds of the stretch away from frame f. */
function farFrame(faces: readonly SourceFace[], f: number, random: SeededRandom): SourceFace {
  const n = faces.length;
  return faces[(f + Math.ceil(n / 3) + random.int(Math.max(1, Math.floor(n / 3)))) % n];
}

/** BENCH_FAKES=swaps: the training data also holds the person's own swaps (tool-made, from other training frames), as a user who has some would give. */
const withSwaps = process.env.BENCH_FAKES === "swaps";

async function main(): Promise<void> {
  const [trainVideo, trainFrom, trainTo, testVideo, testFrom, testTo, ...seedArgs] = process.argv.slice(2);
  if (testTo === undefined) throw new Error("Usage: node out/bench/protect-person.js <train video> <from s> <to s> <test video> <from s> <to s> [seeds…]");
  const seeds = seedArgs.length > 0 ? seedArgs.map(Number) : [1, 2, 3];
  const overrides = JSON.parse(process.env.BENCH_TRAIN ?? "{}") as Record<string, unknown>;
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-protect-"));
  process.env.DEEPFAKE_STUDIO_CACHE ??= path.join(root, "cache");
  const backbone = await writeOfflineBackbone({ cacheDir: process.env.DEEPFAKE_STUDIO_CACHE });
  const training = await framesWithFaces(trainVideo, Number(trainFrom), Number(trainTo), Number(process.env.BENCH_TRAIN_FPS ?? 2));
  const testing = await framesWithFaces(testVideo, Number(testFrom), Number(testTo), Number(process.env.BENCH_TEST_FPS ?? 1));
  const calibrateArgs = process.env.BENCH_CALIBRATE?.split(" ");
  const calibration = calibrateArgs ? await framesWithFaces(calibrateArgs[0], Number(calibrateArgs[1]), Number(calibrateArgs[2]), 1) : undefined;
  if (calibration) console.log(`calibration: ${calibration.faces.length} of ${calibration.frames} frames`);
  console.log(`training: ${training.faces.length} of ${training.frames} frames have a face; test: ${testing.faces.length} of ${testing.frames}`);
  const rows: string[] = [];
  for (const seed of seeds) {
    const started = performance.now();
    const projectDir = path.join(root, `seed-${seed}`);
    const random = createSeededRandom(seed);
    for (const [f, face] of training.faces.entries()) {
      const sample = renderFaceSample({ photos: training.photos, face, variation: drawCropVariation(random.derive(1, f)), size: 224 });
      await writeCrop(path.join(projectDir, "data", "Real", `frame${f}.jpg`), sample.pixels);
      if (withSwaps) {
        const donor = farFrame(training.faces, f, random.derive(4, f));
        const fake = renderFaceSample({ photos: training.photos, face, donor: { face: donor, mirror: false, generatorSide: TOOL_GENERATOR_SIDE }, variation: drawCropVariation(random.derive(5, f)), size: 224 });
        await writeCrop(path.join(projectDir, "data", "Deepfake", `frame${f}.jpg`), fake.pixels);
      }
    }
    // The studio's defaults for the project, with the face-crop features these crops get by default: real pictures
    // alone synthesize their fakes ("only"); with the person's own swaps the studio trains on them as they are ("off").
    const config = parseProjectConfig({
      categories: withSwaps ? [{ label: "Real" }, { label: "Deepfake" }] : [{ label: "Real" }],
      train: { seed, selfBlend: withSwaps ? "off" : "only", facePooling: true, blendStatistics: true, ...overrides },
    });
    await fs.writeFile(path.join(projectDir, "deepfake-studio.json"), JSON.stringify(config));
    const trained = await train({ projectDir, config, backbone });
    const exported = await exportModel({ projectDir, config, runId: trained.runId });
    let threshold: number | undefined;
    if (calibration) {
      const files: string[] = [];
      for (const [f, face] of calibration.faces.entries()) {
        const real = renderFaceSample({ photos: calibration.photos, face, variation: drawCropVariation(random.derive(6, f)), size: 224 });
        const file = path.join(root, `calibrate-${seed}`, `frame${f}.jpg`);
        await writeCrop(file, real.pixels);
        files.push(file);
      }
      const results = await predict({ modelDir: exported.outDir, inputs: files });
      // As `evaluate` on a folder of real pictures alone, then `export --max-fpr 0.05`: a frame with no face is not scored.
      const scores = results.flatMap((result) => ("error" in result ? [] : [result.probabilities.Deepfake ?? 0]));
      threshold = thresholdForFpr({ scores, positives: scores.map(() => false), maxFpr: CALIBRATION_MAX_FPR }).threshold;
      console.log(`seed ${seed}: threshold ${threshold.toFixed(4)} from ${scores.length} real calibration frames`);
    }
    // The real test crops are the same for both kinds of swap: rendered once.
    const realTests: HeldOutPicture[] = [];
    for (const [f, face] of testing.faces.entries()) {
      const real = renderFaceSample({ photos: testing.photos, face, variation: drawCropVariation(random.derive(2, f).derive(1)), size: 224 });
      const file = path.join(root, `test-${seed}`, "real", `frame${f}.jpg`);
      await writeCrop(file, real.pixels);
      realTests.push({ file, expected: "Real" });
    }
    for (const [kind, generatorSide] of [["tool-made (128 px)", TOOL_GENERATOR_SIDE], ["full resolution", undefined]] as const) {
      const tests: HeldOutPicture[] = [];
      for (const [f, face] of testing.faces.entries()) {
        const donor = farFrame(testing.faces, f, random.derive(3, f));
        const swap = renderFaceSample({ photos: testing.photos, face, donor: { face: donor, mirror: false, generatorSide }, variation: drawCropVariation(random.derive(2, f).derive(2)), size: 224 });
        const file = path.join(root, `test-${seed}`, generatorSide === undefined ? "full" : "tool", `frame${f}.jpg`);
        await writeCrop(file, swap.pixels);
        tests.push(realTests[f], { file, expected: "Deepfake" });
      }
      const score = await scoreHeldOut(exported.outDir, tests);
      const pct = (value: number) => `${(value * 100).toFixed(1)} %`;
      const row = `| ${seed} | ${kind} | ${pct(score.accuracy)} | ${score.auc.toFixed(3)} | ${pct(score.realAccuracy)} | ${pct(score.swapAccuracy)} | ${pct(trained.metrics.sameIdentityBlends?.share ?? Number.NaN)} | ${((performance.now() - started) / 1000).toFixed(0)} s |`;
      console.log(row);
      rows.push(row);
      if (threshold !== undefined) {
        // A crop predict could not score has the score -1: never flagged, as in scoreHeldOut.
        const at = confusionMatrix({ positives: tests.map((test) => test.expected === "Deepfake"), flagged: score.scores.map((value) => value >= threshold!) });
        const calibrated = `| ${seed} | ${kind}, calibrated ${threshold.toFixed(3)} | ${pct(at.balancedAccuracy ?? Number.NaN)} | | ${pct(1 - (at.fpr ?? Number.NaN))} | ${pct(at.tpr ?? Number.NaN)} | | |`;
        console.log(calibrated);
        rows.push(calibrated);
      }
    }
  }
  console.log("\n| seed | test swaps | accuracy (balanced) | AUC | real frames called real | swaps caught | self-blends of valid reals caught | time |\n|---|---|---|---|---|---|---|---|");
  console.log(rows.join("\n"));
  if (process.env.BENCH_KEEP === "1") console.log(`crops and projects kept in ${root}`);
  else await fs.rm(root, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
