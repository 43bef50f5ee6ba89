/**
 * The frozen trainer (`--engine studio`) against the PyTorch fine-tune (`--engine torch`, here on CPU), side by side in
 * one run, each pair on the very same project (both engines split it the same way, train.seed):
 *  - "sizes": the embedded reference face set (buildFaceDataset: real crops vs other-person swaps) at N pictures:
 *    wall time of `train` and the validation error rate the studio recomputes;
 *  - "same-person": bench/self-blend.ts's "mirror swaps" project (8 real crops + 8 crops swapped with their own mirror
 *    image, for each of the 16 training faces) tested on the 6 held-out faces (real vs mirror swap) through export and
 *    predict: frozen whole-picture pooling, frozen inner-face pooling + blending statistics (the frozen trainer's best),
 *    and the fine-tune.
 * Usage: nice node out/bench/torch-vs-frozen.js [pictures...]   (default 100 400)
 *   BENCH_PARTS, run in its order ("sizes,same-person"; "sizes:100,same-person,sizes:400" interleaves), BENCH_SEED (1),
 *   BENCH_FINE_TUNE_EPOCHS (unfrozen epochs after the frozen one; default 3, the engine's),
 *   BENCH_TORCH_BACKBONE (mobilenet_v2), BENCH_PYTHON (a Python with torch; default: the engine's own search).
 * Prints one JSON line per run (with the load average before and after it) and the Markdown tables.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { exportModel } from "../src/core/export/export-model";
import { parseProjectConfig, type ProjectConfig } from "../src/core/project/project-config";
import { buildFaceDataset } from "../src/core/reference-data/build-face-dataset";
import { loadSourceFaces } from "../src/core/reference-data/load-source-faces";
import { train, type TrainResult } from "../src/core/train/train";
import { scoreHeldOut, splitByFace, writeTrainingData } from "./self-blend";

type Engine = "studio" | "torch";

interface Outcome {
  part: "sizes" | "same-person";
  setup: string;
  engine: Engine;
  pictures: number;
  trainPictures: number;
  validPictures: number;
  seconds: number;
  errorRate: number;
  /** Torch: training pictures per second over all epochs (forward + backward, augmentation included). */
  trainRate?: number;
  heldOut?: { realAccuracy: number; swapAccuracy: number; accuracy: number };
  load: { before: number; after: number };
}

const seed = Number(process.env.BENCH_SEED ?? 1);
const fineTuneEpochs = Number(process.env.BENCH_FINE_TUNE_EPOCHS ?? 3);
const torchBackbone = process.env.BENCH_TORCH_BACKBONE ?? "mobilenet_v2";
const parts = (process.env.BENCH_PARTS ?? "sizes,same-person").split(",").map((part) => part.trim());

function configFor(engine: Engine, train: Record<string, unknown> = {}): ProjectConfig {
  return parseProjectConfig({
    categories: [{ label: "Real" }, { label: "Deepfake" }],
    // The offline MobileNetV2 for both: the frozen trainer's features and the fine-tune's starting weights are the same.
    train: { seed, engine, fineTuneEpochs, torchBackbone, backbone: "nsfwjs-mobilenet_v2", ...(process.env.BENCH_PYTHON ? { python: process.env.BENCH_PYTHON } : {}), ...train },
  });
}

/** One `train` on a project, timed, with the machine's 1-minute load average around it. */
async function timedTrain(projectDir: string, config: ProjectConfig): Promise<{ result: TrainResult; seconds: number; load: Outcome["load"] }> {
  const before = os.loadavg()[0];
  const started = performance.now();
  const result = await train({ projectDir, config });
  return { result, seconds: (performance.now() - started) / 1000, load: { before, after: os.loadavg()[0] } };
}

function summarise(part: Outcome["part"], setup: string, engine: Engine, run: Awaited<ReturnType<typeof timedTrain>>): Outcome {
  const { metrics } = run.result;
  const count = (split: Record<string, number>) => Object.values(split).reduce((sum, n) => sum + n, 0);
  const trainPictures = count(metrics.counts.train);
  const epochSeconds = metrics.epochs.reduce((sum, epoch) => sum + epoch.seconds, 0);
  return {
    part, setup, engine, pictures: trainPictures + count(metrics.counts.valid), trainPictures, validPictures: count(metrics.counts.valid),
    seconds: run.seconds, errorRate: metrics.errorRate, load: run.load,
    ...(engine === "torch" ? { trainRate: (trainPictures * metrics.epochs.length) / epochSeconds } : {}),
  };
}

async function sizes(root: string, counts: number[], outcomes: Outcome[]): Promise<void> {
  for (const pictures of counts) {
    const projectDir = path.join(root, `faces-${pictures}`);
    await buildFaceDataset({ outDir: path.join(projectDir, "data"), perClass: Math.round(pictures / 2), seed });
    for (const engine of ["studio", "torch"] as const) {
      const outcome = summarise("sizes", `reference face set, ${pictures} pictures`, engine, await timedTrain(projectDir, configFor(engine)));
      outcomes.push(outcome);
      console.log(JSON.stringify(outcome));
    }
  }
}

async function samePerson(root: string, outcomes: Outcome[]): Promise<void> {
  const { photos, faces } = await loadSourceFaces();
  const { trainFaces, tests } = await splitByFace({ root, seed, photos, faces });
  const projectDir = path.join(root, "mirror-swaps");
  await writeTrainingData({ projectDir, seed, variant: "mirror swaps", photos, trainFaces });
  // bench/self-blend.ts's settings for this project (selfBlend off: the Deepfake folder holds the same-person fakes).
  const frozen = { selfBlend: "off", selfBlendSwaps: false, augmentViews: 2, faceContrast: false };
  const setups: Array<{ setup: string; engine: Engine; train: Record<string, unknown> }> = [
    { setup: "frozen, whole-picture pooling", engine: "studio", train: { ...frozen, facePooling: false, blendStatistics: false } },
    { setup: "frozen, inner-face pooling + blending statistics", engine: "studio", train: { ...frozen, facePooling: true, blendStatistics: true } },
    { setup: `fine-tune ${torchBackbone}, 1 frozen + ${fineTuneEpochs} unfrozen epoch(s)`, engine: "torch", train: { selfBlend: "off" } },
  ];
  for (const { setup, engine, train: settings } of setups) {
    const config = configFor(engine, settings);
    const run = await timedTrain(projectDir, config);
    const exported = await exportModel({ projectDir, config, runId: run.result.runId });
    const outcome = { ...summarise("same-person", setup, engine, run), heldOut: await scoreHeldOut(exported.outDir, tests) };
    outcomes.push(outcome);
    console.log(JSON.stringify(outcome));
  }
}

async function main(): Promise<void> {
  const counts = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-torch-vs-frozen-"));
  process.env.DEEPFAKE_STUDIO_CACHE ??= path.join(root, "cache");
  await writeOfflineBackbone({ cacheDir: process.env.DEEPFAKE_STUDIO_CACHE });
  console.log(JSON.stringify({ started: new Date().toISOString(), cpus: os.cpus().length, load: os.loadavg(), seed, fineTuneEpochs, torchBackbone }));
  const outcomes: Outcome[] = [];
  try {
    for (const part of parts) {
      if (part === "same-person") await samePerson(root, outcomes);
      else if (part === "sizes") await sizes(root, counts.length > 0 ? counts : [100, 400], outcomes);
      else if (/^sizes:\d+$/.test(part)) await sizes(root, [Number(part.slice(6))], outcomes);
      else throw new Error(`Unknown part "${part}": sizes, sizes:<pictures> or same-person`);
    }
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
  const pct = (value: number) => `${(value * 100).toFixed(1)} %`;
  const load = (o: Outcome) => `${o.load.before.toFixed(1)}–${o.load.after.toFixed(1)}`;
  console.log(`\nEnded ${new Date().toISOString()}\n\n| project | engine | pictures (train + valid) | wall time of train | validation error | train pictures/s | load (1 min) |`);
  console.log("|---|---|---|---|---|---|---|");
  for (const o of outcomes.filter((o) => o.part === "sizes")) {
    console.log(`| ${o.setup} | ${o.engine} | ${o.trainPictures} + ${o.validPictures} | ${o.seconds.toFixed(0)} s | ${pct(o.errorRate)} | ${o.trainRate ? o.trainRate.toFixed(2) : ""} | ${load(o)} |`);
  }
  console.log("\n| same-person fakes: training | validation error | held-out balanced accuracy | real called real | mirror swaps caught | wall time | load (1 min) |");
  console.log("|---|---|---|---|---|---|---|");
  for (const o of outcomes.filter((o) => o.heldOut)) {
    console.log(`| ${o.setup} | ${pct(o.errorRate)} | ${pct(o.heldOut!.accuracy)} | ${pct(o.heldOut!.realAccuracy)} | ${pct(o.heldOut!.swapAccuracy)} | ${o.seconds.toFixed(0)} s | ${load(o)} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
