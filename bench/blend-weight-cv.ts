/**
 * How much should the blending statistics weigh beside the backbone's features? Chosen on training faces only: the
 * self-blend bench's "mirror swaps" projects (16 training faces per seed), 4-fold cross-validation *by face* (each
 * fold's faces are never seen by the head trained on the other 12), the studio's own head and settings, for each
 * weight. The held-out test faces of bench/self-blend.ts are not touched, so choosing the weight here does not tune
 * on the figure BENCHMARKS.md reports.
 * Usage: node out/bench/blend-weight-cv.js [seeds...]   (default 1 2 3); BENCH_WEIGHTS='[1,2,3,4,6,8,12]'.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { parseProjectConfig } from "../src/core/project/project-config";
import { loadSourceFaces } from "../src/core/reference-data/load-source-faces";
import { BLEND_STATISTICS_WEIGHT, prepareTrainingData } from "../src/core/train/prepare-training-data";
import { trainHead } from "../src/core/train/train-head";
import { splitByFace, writeTrainingData } from "./self-blend";

const FOLDS = 4;

async function main(): Promise<void> {
  const seeds = process.argv.slice(2).map(Number).filter(Number.isInteger);
  const weights = JSON.parse(process.env.BENCH_WEIGHTS ?? "[1,2,3,4,6,8,12]") as number[];
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-blend-weight-"));
  process.env.DEEPFAKE_STUDIO_CACHE ??= path.join(root, "cache");
  const backbone = await writeOfflineBackbone({ cacheDir: process.env.DEEPFAKE_STUDIO_CACHE });
  const { photos, faces } = await loadSourceFaces();
  const scores = new Map<number, number[]>();
  for (const seed of seeds.length > 0 ? seeds : [1, 2, 3]) {
    const { trainFaces } = await splitByFace({ root, seed, photos, faces });
    const projectDir = path.join(root, `seed-${seed}`);
    await writeTrainingData({ projectDir, seed, variant: "mirror swaps", photos, trainFaces });
    const config = parseProjectConfig({ categories: [{ label: "Real" }, { label: "Deepfake" }], train: { seed, selfBlend: "off", augmentViews: 2, facePooling: true, blendStatistics: true } });
    const prepared = await prepareTrainingData({ projectDir, config, backbone });
    const faceOf = (relative: string) => Number(/face(\d+)-/.exec(relative)![1]);
    for (const weight of weights) {
      // The statistics are the last block; its factor holds BLEND_STATISTICS_WEIGHT, rescaled here to `weight`.
      const emphasis = prepared.emphasis!.map((block, i, all) => (i === all.length - 1 ? { ...block, factor: (block.factor * weight) / BLEND_STATISTICS_WEIGHT } : block));
      let sum = 0;
      for (let fold = 0; fold < FOLDS; fold++) {
        const held = (relative: string) => faceOf(relative) % FOLDS === fold;
        const fitted = prepared.items.filter((item) => !held(item.relative));
        const trained = await trainHead({
          data: {
            features: prepared.features, featureLength: prepared.featureLength, emphasis, classes: prepared.labels.length,
            train: fitted.filter((item) => item.split === "train").map((item) => ({ rows: item.rows, label: item.labelIndex })),
            valid: fitted.filter((item) => item.split === "valid").map((item) => ({ rows: item.rows, label: item.labelIndex })),
          },
          settings: { epochs: config.train.epochs, learningRate: config.train.learningRate, batchSize: config.train.batchSize, dropout: config.train.dropout, weightDecay: config.train.weightDecay, seed, heads: config.train.heads },
        });
        const right = [0, 0];
        const total = [0, 0];
        for (const item of prepared.items.filter((entry) => held(entry.relative))) {
          const log = trained.logProbabilities(item.rows[0]);
          total[item.labelIndex] += 1;
          if ((log[1] > log[0] ? 1 : 0) === item.labelIndex) right[item.labelIndex] += 1;
        }
        sum += (right[0] / total[0] + right[1] / total[1]) / 2;
      }
      scores.set(weight, [...(scores.get(weight) ?? []), sum / FOLDS]);
      console.log(JSON.stringify({ seed, weight, crossValidatedByFace: sum / FOLDS }));
    }
  }
  console.log("\n| weight of the statistics | balanced accuracy on unseen training faces, per seed | mean |");
  console.log("|---|---|---|");
  for (const [weight, values] of scores) console.log(`| ${weight}${weight === BLEND_STATISTICS_WEIGHT ? " (the default)" : ""} | ${values.map((v) => (v * 100).toFixed(1) + " %").join(", ")} | **${((values.reduce((s, v) => s + v, 0) / values.length) * 100).toFixed(1)} %** |`);
  await fs.rm(root, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
