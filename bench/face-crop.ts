/**
 * Faces at video speed (issue 15), side by side in one run: the same pictures imported into a plain project and a
 * face-crop project (ratio), the face-crop pipeline against the tfjs recipe it replaced on the reference set (faces
 * found, crop square IoU, time per picture), each detector's cost on ONNX Runtime (wall and CPU time), and the video
 * check's sampled frames/s and peak memory (bench/check.ts); the load average before and after is noted, since the
 * 2 cores are shared. Usage: node out/bench/face-crop.js [pictures=60] [video seconds=60, 0 skips the check]
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cropFaceFromBytes, cropLargestFace } from "../src/core/face-crop/crop-largest-face";
import { setFaceNetWorkers } from "../src/core/face-nets/face-net-pool";
import { faceNetWeights, runFaceNet } from "../src/core/face-nets/face-net-sessions";
import { ssdWindow } from "../src/core/face-nets/ssd-window";
import { runBounded } from "../src/core/shared/run-bounded";
import { faceCropSettings } from "../src/core/face-crop/face-crop-settings";
import { importFolder } from "../src/core/gather/import-folder";
import { parseProjectConfig } from "../src/core/project/project-config";
import { compareWithTfjsRecipe, makeFaceReferenceSet } from "../test/fixtures/face-reference-set";
import { benchCheck, type CheckBenchResult } from "./check";

export interface FaceCropBenchResult {
  pictures: number;
  cores: number;
  /** 1-minute load average at the start and at the end. */
  load: { before: number; after: number };
  plain: { seconds: number; imagesPerSecond: number; kept: number };
  faceCrop: { seconds: number; imagesPerSecond: number; kept: number; noFace: number };
  ratio: number;
  /** The same face-crop import with the face nets on the calling thread (no worker threads), as before. */
  faceCropOneThread: { seconds: number; imagesPerSecond: number; kept: number; noFace: number };
  ratioOneThread: number;
  /** The whole face pipeline on the files (decode, resize, detect, landmarks, framing, crop, JPEG, hashes), 4 in flight as import does. */
  pipeline: Array<{ workers: number; picturesPerSecond: number; cpuMsPerPicture: number; found: number }>;
  /** The SSD net alone (one intra-op thread) per 400×262 picture: the full 512 square vs the window the picture fills. */
  ssdNet: { fullCpuMs: number; windowCpuMs: number; window: string };
  /** cropLargestFace (the project recipe) vs face-api's SSD on tfjs + the close-up retry, on the same 400 px pictures. */
  reference: { found: number; tfjsFound: number; iouAtLeast09: number; compared: number; lowestIou: number; msPerPicture: number; tfjsMsPerPicture: number };
  /** cropLargestFace alone with each detector: wall and CPU time per picture, faces found. */
  detectors: Record<"accurate" | "fast", { msPerPicture: number; cpuMsPerPicture: number; found: number }>;
  check?: CheckBenchResult;
}

/** Runs every part; temp files are deleted afterwards. */
export async function benchFaceCrop(count = 60, videoSeconds = 60): Promise<FaceCropBenchResult> {
  const before = os.loadavg()[0];
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-face-crop-"));
  try {
    const set = await makeFaceReferenceSet(work, count);
    const detectors = {} as FaceCropBenchResult["detectors"];
    for (const detector of ["accurate", "fast"] as const) {
      const settings = { ...faceCropSettings({ resizeMax: 400 }), detector };
      // The nets are built and loaded on first use: warm them so the times compare pipelines, not loading.
      await cropLargestFace({ pixels: set.resized[0], settings });
      const cpu = process.cpuUsage();
      const started = performance.now();
      let found = 0;
      for (const pixels of set.resized) if (await cropLargestFace({ pixels, settings })) found += 1;
      const used = process.cpuUsage(cpu);
      detectors[detector] = { msPerPicture: (performance.now() - started) / count, cpuMsPerPicture: (used.user + used.system) / 1000 / count, found };
    }
    const timeImport = async (faceCrop: boolean, name = faceCrop ? "face-crop" : "plain") => {
      const projectDir = path.join(work, name);
      await fs.mkdir(projectDir);
      const config = parseProjectConfig({ categories: [{ label: "Real" }, { label: "Fake" }], faceCrop });
      const started = performance.now();
      const row = (await importFolder({ projectDir, config, folder: set.folder, label: "Real" })).categories[0];
      const seconds = (performance.now() - started) / 1000;
      return { seconds, imagesPerSecond: count / seconds, kept: row.kept, noFace: row.failed["no-face"] ?? 0 };
    };
    const ssdNet = await timeSsdWindow(set.resized[0].width, set.resized[0].height);
    const pipeline: FaceCropBenchResult["pipeline"] = [];
    const files = await Promise.all(set.files.map((file) => fs.readFile(file)));
    for (const workers of [0, 2]) {
      setFaceNetWorkers(workers);
      const settings = faceCropSettings({ resizeMax: 400 });
      await Promise.all(files.slice(0, 4).map((bytes) => cropFaceFromBytes({ bytes, settings })));
      const cpu = process.cpuUsage();
      const started = performance.now();
      let found = 0;
      await runBounded(files, 4, async (bytes) => void ((await cropFaceFromBytes({ bytes, settings })).crop && (found += 1)));
      const used = process.cpuUsage(cpu);
      pipeline.push({ workers, picturesPerSecond: count / ((performance.now() - started) / 1000), cpuMsPerPicture: (used.user + used.system) / 1000 / count, found });
    }
    setFaceNetWorkers();
    const plain = await timeImport(false);
    const faceCrop = await timeImport(true);
    setFaceNetWorkers(0);
    const faceCropOneThread = await timeImport(true, "face-crop-one-thread");
    setFaceNetWorkers();
    const compared = await compareWithTfjsRecipe(set.resized, faceCropSettings({ resizeMax: 400 }));
    const reference = {
      found: compared.found,
      tfjsFound: compared.referenceFound,
      iouAtLeast09: compared.ious.filter((iou) => iou >= 0.9).length,
      compared: compared.ious.length,
      lowestIou: Math.min(...compared.ious),
      msPerPicture: compared.msPerPicture,
      tfjsMsPerPicture: compared.referenceMsPerPicture,
    };
    const check = videoSeconds > 0 ? await benchCheck(videoSeconds) : undefined;
    return { pictures: count, cores: os.availableParallelism(), load: { before, after: os.loadavg()[0] }, plain, faceCrop, ratio: faceCrop.imagesPerSecond / plain.imagesPerSecond, faceCropOneThread, ratioOneThread: faceCropOneThread.imagesPerSecond / plain.imagesPerSecond, pipeline, ssdNet, reference, detectors, check };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** CPU ms of one SSD run on the full 512 square and on the window a width×height picture fills, alternated 10 times. */
async function timeSsdWindow(width: number, height: number): Promise<FaceCropBenchResult["ssdNet"]> {
  await faceNetWeights("ssd");
  const { rows, cols } = ssdWindow(width, height);
  const shapes: Array<[number, number, number, number]> = [[1, 3, 512, 512], [1, 3, rows, cols]];
  const totals = [0, 0];
  for (let round = 0; round < 11; round++) {
    for (const [i, dims] of shapes.entries()) {
      const input = new Float32Array(dims[1] * dims[2] * dims[3]).fill(0.1);
      const cpu = process.cpuUsage();
      await runFaceNet("ssd", input, dims);
      const used = process.cpuUsage(cpu);
      if (round > 0) totals[i] += (used.user + used.system) / 1000 / 10;
    }
  }
  return { fullCpuMs: totals[0], windowCpuMs: totals[1], window: `${cols}×${rows}` };
}

if (require.main === module) {
  benchFaceCrop(Number(process.argv[2] ?? 60), Number(process.argv[3] ?? 60)).then((result) => console.log(JSON.stringify(result, null, 2)), (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
