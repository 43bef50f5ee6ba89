/**
 * What `faceCrop: true` costs at import: the same pictures imported into a plain project and a face-crop project,
 * side by side, plus the two detectors on the same pictures (why stills use the accurate one by default).
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cropLargestFace } from "../src/core/face-crop/crop-largest-face";
import { faceCropSettings } from "../src/core/face-crop/face-crop-settings";
import { processImage } from "../src/core/gather/process-image";
import { importFolder } from "../src/core/gather/import-folder";
import { parseProjectConfig } from "../src/core/project/project-config";
import { buildFaceDataset } from "../src/core/reference-data/build-face-dataset";
import { composeFacePicture } from "../test/fixtures/compose-face-picture";

export interface FaceCropBenchResult {
  pictures: number;
  plain: { seconds: number; imagesPerSecond: number; kept: number };
  faceCrop: { seconds: number; imagesPerSecond: number; kept: number; noFace: number };
  /** cropLargestFace alone on the resized pictures, per detector: time per picture and faces found. */
  detectors: Record<"accurate" | "fast", { msPerPicture: number; found: number }>;
}

/** Imports `count` 640x420 pictures (one reference face crop each, placed differently) with and without faceCrop. */
export async function benchFaceCrop(count = 60): Promise<FaceCropBenchResult> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-face-crop-"));
  try {
    const reference = path.join(work, "reference");
    await buildFaceDataset({ outDir: reference, perClass: count, seed: 5 });
    const crops = (await fs.readdir(path.join(reference, "Real"))).filter((name) => name.endsWith(".jpg")).sort();
    const pictures = path.join(work, "pictures");
    await fs.mkdir(pictures);
    for (let i = 0; i < count; i++) {
      await composeFacePicture(path.join(pictures, `p${i}.jpg`), 640, 420, [{ crop: path.join(reference, "Real", crops[i]), x: 20 + (i % 9) * 40, y: 10 + (i % 4) * 30, side: 220 + (i % 5) * 20 }]);
    }
    const timeImport = async (faceCrop: boolean) => {
      const projectDir = path.join(work, faceCrop ? "face-crop" : "plain");
      await fs.mkdir(projectDir);
      const config = parseProjectConfig({ categories: [{ label: "Real" }, { label: "Fake" }], faceCrop });
      const started = performance.now();
      const row = (await importFolder({ projectDir, config, folder: pictures, label: "Real" })).categories[0];
      const seconds = (performance.now() - started) / 1000;
      return { seconds, imagesPerSecond: count / seconds, kept: row.kept, noFace: row.failed["no-face"] ?? 0 };
    };
    // Face-api's models load on first use: warm them so the import times compare pipelines, not model loading.
    const resized = await Promise.all((await fs.readdir(pictures)).sort().map(async (name) => (await processImage(await fs.readFile(path.join(pictures, name)), { resizeMax: 400 })).pixels));
    const detectors = {} as FaceCropBenchResult["detectors"];
    for (const detector of ["accurate", "fast"] as const) {
      const settings = { ...faceCropSettings({ resizeMax: 400 }), detector };
      await cropLargestFace({ pixels: resized[0], settings });
      const started = performance.now();
      let found = 0;
      for (const pixels of resized) if (await cropLargestFace({ pixels, settings })) found += 1;
      detectors[detector] = { msPerPicture: (performance.now() - started) / resized.length, found };
    }
    const plain = await timeImport(false);
    const faceCrop = await timeImport(true);
    return { pictures: count, plain, faceCrop, detectors };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchFaceCrop(Number(process.argv[2] ?? 60)).then((result) => console.log(JSON.stringify(result, null, 2)), (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
