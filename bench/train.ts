/**
 * Whole `train` on the offline reference face dataset (count images, half real, half face-swapped): once with an
 * empty feature cache, once warm. Targets on 2 cores for 400 images: ≤ 20 s cold, ≤ 3 s warm.
 * Run alone with: node out/bench/train.js [count] [augmentViews]
 */
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { parseProjectConfig } from "../src/core/project/project-config";
import { buildFaceDataset } from "../src/core/reference-data/build-face-dataset";
import { openBackboneFeatures } from "../src/core/train/backbone-features";
import type { RunMetrics } from "../src/core/train/run-files";
import { train } from "../src/core/train/train";

/** Timings of one train call. */
export interface TrainBenchRun {
  seconds: number;
  phases: RunMetrics["phases"];
  featuresComputed: number;
  featuresCached: number;
  errorRate: number;
}

/** Result of benchTrain. */
export interface TrainBenchResult {
  images: number;
  augmentViews: number;
  /** Building the reference dataset (not part of training). */
  datasetSeconds: number;
  /** One-off conversion of the backbone's tap graph to ONNX (cached per machine afterwards). */
  onnxConvertSeconds: number;
  emptyCache: TrainBenchRun;
  warmCache: TrainBenchRun;
}

/** Builds the dataset into a temp project, converts the backbone, then trains twice; everything is deleted afterwards. */
export async function benchTrain(count = 400, augmentViews?: number): Promise<TrainBenchResult> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "bench-train-"));
  const savedCache = process.env.DEEPFAKE_STUDIO_CACHE;
  try {
    process.env.DEEPFAKE_STUDIO_CACHE = path.join(root, "cache");
    const backbone = await writeOfflineBackbone({ cacheDir: path.join(root, "cache") });
    const projectDir = path.join(root, "project");
    let started = performance.now();
    await buildInChildProcess(path.join(projectDir, "data"), Math.max(1, Math.round(count / 2)));
    const datasetSeconds = (performance.now() - started) / 1000;
    const config = parseProjectConfig({ categories: [{ label: "Real" }, { label: "Deepfake" }], train: augmentViews === undefined ? {} : { augmentViews } });

    started = performance.now();
    await (await openBackboneFeatures({ backbone })).release();
    const onnxConvertSeconds = (performance.now() - started) / 1000;

    const once = async (): Promise<TrainBenchRun> => {
      const begin = performance.now();
      const result = await train({ projectDir, config, backbone });
      const { phases, errorRate } = result.metrics;
      return { seconds: (performance.now() - begin) / 1000, phases, featuresComputed: result.featureCache.computed, featuresCached: result.featureCache.hits, errorRate };
    };
    const emptyCache = await once();
    const warmCache = await once();
    return { images: count, augmentViews: config.train.augmentViews, datasetSeconds, onnxConvertSeconds, emptyCache, warmCache };
  } finally {
    if (savedCache === undefined) delete process.env.DEEPFAKE_STUDIO_CACHE;
    else process.env.DEEPFAKE_STUDIO_CACHE = savedCache;
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** The generator runs face-api on tfjs-wasm; a child process keeps its threads and memory out of the timed training. */
function buildInChildProcess(outDir: string, perClass: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [__filename, BUILD_FLAG, outDir, String(perClass)], { maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve()));
  });
}

const BUILD_FLAG = "--build-face-dataset";

if (require.main === module && process.argv[2] === BUILD_FLAG) {
  buildFaceDataset({ outDir: process.argv[3], perClass: Number(process.argv[4]), seed: 1 }).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else if (require.main === module) {
  const views = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  benchTrain(Number(process.argv[2] ?? 400), views).then((result) => console.log(JSON.stringify(result, null, 2)), (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
