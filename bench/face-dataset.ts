/** Time to generate the offline reference face dataset (face detection, then swaps, crops and JPEG writes). */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildFaceDataset } from "../src/core/reference-data/build-face-dataset";
import { loadSourceFaces } from "../src/core/reference-data/load-source-faces";

/** Result of one benchmark run. */
export interface FaceDatasetBenchResult {
  perClass: number;
  sourceFaces: number;
  /** Photo decoding + face-api model load + detection; only the first call in a process pays for detection and model load. */
  facesSeconds: number;
  /** buildFaceDataset with detections cached: photo decoding, swaps, crops, JPEG encoding and writes. */
  generateSeconds: number;
  imagesPerSecond: number;
}

/** Builds perClass real + perClass swapped crops into a temp folder (deleted afterwards) and times both stages. */
export async function benchFaceDataset(perClass = 60): Promise<FaceDatasetBenchResult> {
  const outDir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-face-dataset-"));
  try {
    let start = performance.now();
    const { faces } = await loadSourceFaces();
    const facesSeconds = (performance.now() - start) / 1000;
    start = performance.now();
    await buildFaceDataset({ outDir, perClass });
    const generateSeconds = (performance.now() - start) / 1000;
    return { perClass, sourceFaces: faces.length, facesSeconds, generateSeconds, imagesPerSecond: (perClass * 2) / generateSeconds };
  } finally {
    await fs.rm(outDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchFaceDataset(Number(process.argv[2] ?? 60)).then((result) => console.log(JSON.stringify(result, null, 2)), (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
