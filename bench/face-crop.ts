/**
 * Faces at video speed (issue 15), side by side in one run: the same pictures imported into a plain project and a
 * face-crop project (ratio), the face-crop pipeline against the tfjs recipe it replaced on the reference set (faces
 * found, crop square IoU, time per picture), each detector's cost on ONNX Runtime (wall and CPU time), and the video
 * check's sampled frames/s and peak memory (bench/check.ts); the load average before and after is noted, since the
 * 2 cores are shared. The SSD with int8 convolutions (ssd-int8.ts) is measured beside face-api's float32 SSD: its
 * cost, and its crops against the tfjs recipe. Usage: node out/bench/face-crop.js [pictures=60] [video seconds=60, 0 skips the check]
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cropFaceFromBytes, cropLargestFace } from "../src/core/face-crop/crop-largest-face";
import { setFaceNetWorkers } from "../src/core/face-nets/face-net-pool";
import { setSsdInt8Default } from "../src/core/face-nets/detect-faces-onnx";
import { faceNetWeights, runFaceNet, type FaceNetChoice } from "../src/core/face-nets/face-net-sessions";
import { SSD_LAYER_NAMES, type SsdInt8Options } from "../src/core/face-nets/ssd-int8";
import { ssdWindow } from "../src/core/face-nets/ssd-window";
import { runBounded } from "../src/core/shared/run-bounded";
import { faceCropSettings } from "../src/core/face-crop/face-crop-settings";
import { importFolder } from "../src/core/gather/import-folder";
import { parseProjectConfig } from "../src/core/project/project-config";
import { compareWithTfjsRecipe, makeFaceReferenceSet, tfjsRecipeSquares } from "../test/fixtures/face-reference-set";
import { benchCheck, type CheckBenchResult } from "./check";

export interface RecipeFigures {
  found: number;
  tfjsFound: number;
  iouAtLeast09: number;
  compared: number;
  lowestIou: number;
  medianIou: number;
  msPerPicture: number;
  tfjsMsPerPicture: number;
}

/** Every layer but the 13 pointwise ones (MobileNet's depthwise layers are the ones quantisation is known to hurt). */
const ALL_BUT_POINTWISE = SSD_LAYER_NAMES.filter((name) => !name.endsWith("_pointwise"));
/**
 * The int8 SSD variants measured against the recipe: 7-bit weights (safe without VNNI), 8-bit, 7-bit on the five
 * widest layers only, and the pointwise layers alone with 7-bit and with 8-bit weights (depthwise, conv0 and extras float32).
 */
const INT8_VARIANTS: Record<string, SsdInt8Options> = {
  int8: {},
  int8Bits8: { weightLevels: 127 },
  int8Conv7to11: { floatLayers: SSD_LAYER_NAMES.filter((name) => !/^conv(7|8|9|10|11)_pointwise$/.test(name)) },
  int8Pointwise: { floatLayers: ALL_BUT_POINTWISE },
  int8PointwiseBits8: { floatLayers: ALL_BUT_POINTWISE, weightLevels: 127 },
};

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
  /** The face pipeline (detect, landmarks, framing, crop, the crop's JPEG and hashes) on decoded pictures ("pixels") and from the files ("file": + decode, resize, the picture's JPEG and hashes), 4 in flight as import does; `ssd`: the SSD's arithmetic. */
  pipeline: Array<{ workers: number; ssd: string; source: "file" | "pixels"; picturesPerSecond: number; cpuMsPerPicture: number; found: number }>;
  /** The SSD net alone (one intra-op thread) per 400×262 picture: the full 512 square vs the window the picture fills, float32 and int8 (7- and 8-bit weights). */
  ssdNet: { fullCpuMs: number; windowCpuMs: number; window: string; int8WindowCpuMs: number; int8Bits8WindowCpuMs: number; int8PointwiseWindowCpuMs: number; int8PointwiseBits8WindowCpuMs: number };
  /** The face-crop import with the int8 SSD (measured, not the recipe). */
  faceCropInt8: { seconds: number; imagesPerSecond: number; kept: number; noFace: number };
  /** cropLargestFace (the project recipe) vs face-api's SSD on tfjs + the close-up retry, on the same 400 px pictures. */
  reference: RecipeFigures;
  /** The same with the SSD's int8 variants in place of float32 (ssd-int8.ts), by name. */
  referenceInt8: Record<string, RecipeFigures>;
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
    // Interleaved, twice each, so a change in the machine's load falls on every configuration alike. "pixels": the face
    // work alone on pictures decoded beforehand (detect, landmarks, framing, crop, the crop's JPEG and hashes), as the
    // video figure is taken on decoded frames; "file" adds the picture's decoding, resizing, JPEG and hashes.
    for (let round = 0; round < 2; round++) {
      for (const [workers, ssd, source] of [[0, "float32", "file"], [2, "float32", "file"], [2, "float32", "pixels"], [2, "int8", "file"]] as const) {
        setFaceNetWorkers(workers);
        setSsdInt8Default(ssd === "int8" ? INT8_VARIANTS.int8 : undefined);
        const settings = faceCropSettings({ resizeMax: 400 });
        const cropOne = source === "file"
          ? async (i: number) => Boolean((await cropFaceFromBytes({ bytes: files[i], settings })).crop)
          : async (i: number) => Boolean(await cropLargestFace({ pixels: set.resized[i], settings }));
        await Promise.all([0, 1, 2, 3].map(cropOne));
        const cpu = process.cpuUsage();
        const started = performance.now();
        let found = 0;
        await runBounded(files.map((_, i) => i), 4, async (i) => void ((await cropOne(i)) && (found += 1)));
        const used = process.cpuUsage(cpu);
        pipeline.push({ workers, ssd, source, picturesPerSecond: count / ((performance.now() - started) / 1000), cpuMsPerPicture: (used.user + used.system) / 1000 / count, found });
      }
    }
    setFaceNetWorkers();
    setSsdInt8Default(undefined);
    const plain = await timeImport(false);
    const faceCrop = await timeImport(true);
    setSsdInt8Default(INT8_VARIANTS.int8);
    const faceCropInt8 = await timeImport(true, "face-crop-int8");
    setSsdInt8Default(undefined);
    setFaceNetWorkers(0);
    const faceCropOneThread = await timeImport(true, "face-crop-one-thread");
    setFaceNetWorkers();
    const recipe = await tfjsRecipeSquares(set.resized);
    const figures = async (): Promise<RecipeFigures> => {
      const compared = await compareWithTfjsRecipe(set.resized, faceCropSettings({ resizeMax: 400 }), recipe);
      const sorted = [...compared.ious].sort((a, b) => a - b);
      return {
        found: compared.found,
        tfjsFound: compared.referenceFound,
        iouAtLeast09: compared.ious.filter((iou) => iou >= 0.9).length,
        compared: compared.ious.length,
        lowestIou: sorted[0],
        medianIou: sorted[sorted.length >> 1],
        msPerPicture: compared.msPerPicture,
        tfjsMsPerPicture: compared.referenceMsPerPicture,
      };
    };
    const reference = await figures();
    const referenceInt8: FaceCropBenchResult["referenceInt8"] = {};
    for (const [name, options] of Object.entries(INT8_VARIANTS)) {
      setSsdInt8Default(options);
      referenceInt8[name] = await figures();
    }
    setSsdInt8Default(undefined);
    const check = videoSeconds > 0 ? await benchCheck(videoSeconds) : undefined;
    return { pictures: count, cores: os.availableParallelism(), load: { before, after: os.loadavg()[0] }, plain, faceCrop, ratio: faceCrop.imagesPerSecond / plain.imagesPerSecond, faceCropInt8, faceCropOneThread, ratioOneThread: faceCropOneThread.imagesPerSecond / plain.imagesPerSecond, pipeline, ssdNet, reference, referenceInt8, detectors, check };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** CPU ms of one SSD run on the full 512 square and on the window a width×height picture fills (float32, int8 7- and 8-bit, pointwise-only 7- and 8-bit), alternated 10 times. */
async function timeSsdWindow(width: number, height: number): Promise<FaceCropBenchResult["ssdNet"]> {
  await faceNetWeights("ssd");
  const { rows, cols } = ssdWindow(width, height);
  const runs: Array<{ net: FaceNetChoice; dims: [number, number, number, number] }> = [
    { net: "ssd", dims: [1, 3, 512, 512] },
    { net: "ssd", dims: [1, 3, rows, cols] },
    { net: { ssdInt8: INT8_VARIANTS.int8 }, dims: [1, 3, rows, cols] },
    { net: { ssdInt8: INT8_VARIANTS.int8Bits8 }, dims: [1, 3, rows, cols] },
    { net: { ssdInt8: INT8_VARIANTS.int8Pointwise }, dims: [1, 3, rows, cols] },
    { net: { ssdInt8: INT8_VARIANTS.int8PointwiseBits8 }, dims: [1, 3, rows, cols] },
  ];
  const totals = runs.map(() => 0);
  for (let round = 0; round < 11; round++) {
    for (const [i, { net, dims }] of runs.entries()) {
      const input = new Float32Array(dims[1] * dims[2] * dims[3]).fill(0.1);
      const cpu = process.cpuUsage();
      await runFaceNet(net, input, dims);
      const used = process.cpuUsage(cpu);
      if (round > 0) totals[i] += (used.user + used.system) / 1000 / 10;
    }
  }
  return { fullCpuMs: totals[0], windowCpuMs: totals[1], window: `${cols}×${rows}`, int8WindowCpuMs: totals[2], int8Bits8WindowCpuMs: totals[3], int8PointwiseWindowCpuMs: totals[4], int8PointwiseBits8WindowCpuMs: totals[5] };
}

if (require.main === module) {
  benchFaceCrop(Number(process.argv[2] ?? 60), Number(process.argv[3] ?? 60)).then((result) => console.log(JSON.stringify(result, null, 2)), (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
