/**
 * What test-time views cost `predict`: the same project trained twice (train.testTimeViews on and off, otherwise the
 * same data and seed), each exported, then predict over the same held-out face crops, the two exports taking turns.
 * Usage: node out/bench/test-time-views.js [rounds]   (default 3). Prints ms per picture for each and their ratio.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { exportModel } from "../src/core/export/export-model";
import { predict } from "../src/core/predict/predict";
import { parseProjectConfig } from "../src/core/project/project-config";
import { loadSourceFaces } from "../src/core/reference-data/load-source-faces";
import { train } from "../src/core/train/train";
import { splitByFace, writeTrainingData } from "./self-blend";

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-test-time-views-"));
  process.env.DEEPFAKE_STUDIO_CACHE ??= path.join(root, "cache");
  try {
    const backbone = await writeOfflineBackbone({ cacheDir: process.env.DEEPFAKE_STUDIO_CACHE });
    const { photos, faces } = await loadSourceFaces();
    const { trainFaces, tests } = await splitByFace({ root, seed: 1, photos, faces, generatorSide: 128 });
    const exports: Record<"plain" | "views", string> = { plain: "", views: "" };
    for (const mode of ["plain", "views"] as const) {
      const projectDir = path.join(root, mode);
      await writeTrainingData({ projectDir, seed: 1, variant: "self-blends + swaps", photos, trainFaces });
      const config = parseProjectConfig({ categories: [{ label: "Real" }], train: { seed: 1, selfBlend: "only", testTimeViews: mode === "views" } });
      const trained = await train({ projectDir, config, backbone });
      exports[mode] = (await exportModel({ projectDir, config, runId: trained.runId })).outDir;
    }
    const inputs = tests.map((test) => test.file);
    const times: Record<"plain" | "views", number[]> = { plain: [], views: [] };
    for (let round = 0; round < rounds; round++) {
      for (const mode of round % 2 === 0 ? (["plain", "views"] as const) : (["views", "plain"] as const)) {
        const started = performance.now();
        await predict({ modelDir: exports[mode], inputs });
        times[mode].push((performance.now() - started) / inputs.length);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    console.log(`| predict on ${inputs.length} face crops (face search, landmarks, blending statistics, model) | ms per picture, median of ${rounds} | rounds |`);
    console.log("|---|---|---|");
    for (const mode of ["plain", "views"] as const) console.log(`| ${mode === "plain" ? "one pass" : "4 test-time views"} | ${median(times[mode]).toFixed(1)} | ${times[mode].map((t) => t.toFixed(1)).join(", ")} |`);
    console.log(`\nratio (views / one pass): ${(median(times.views) / median(times.plain)).toFixed(2)}×; os.loadavg ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
