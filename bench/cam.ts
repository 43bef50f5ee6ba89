/**
 * What class activation maps cost predict, side by side in one run: the same model (the nsfwjs MobileNetV2 with
 * the default taps, avg + max pooled, and a seeded head) exported without maps and with them predicts the same
 * pictures: the export without maps, the export with maps (not asked for), and the export with maps under `--cam`
 * (the graph's `cam` output + one overlay PNG per picture), rounds interleaved so machine load hits all alike.
 * Wall and CPU time are both reported: on a shared machine the CPU time (all the process's threads) is the steadier.
 * Run alone with: node out/bench/cam.js [pictures]  (BENCH_ROUNDS=9, BENCH_VERBOSE=1 prints each round)
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { EXPORT_FILES, EXPORT_METADATA_KEYS } from "../src/core/export/export-format";
import { convertLayersModel, createOnnxSession, runOnnx, type FeatureTap } from "../src/core/onnx";
import { predict } from "../src/core/predict/predict";
import { loadTensorflow } from "../src/core/shared/tensorflow";
import type { Preprocess } from "../src/core/train/run-files";
import { loadNsfwMobileNet } from "./load-nsfw-mobilenet";

const SIZE = 224;
const TAPS: FeatureTap[] = [
  { layerName: "block_6_expand_relu", pooling: ["avg", "max"] },
  { layerName: "block_13_expand_relu", pooling: ["avg", "max"] },
  { layerName: "out_relu", pooling: ["avg"] },
];
const FEATURES = 192 * 2 + 576 * 2 + 1280;
const LABELS = ["Real", "Deepfake"];
/** Rounds of predict (BENCH_ROUNDS): on a shared 2-core machine the load moves single rounds by ±10 %. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

export interface CamBenchResult {
  pictures: number;
  /** Median ms per picture over the rounds: the export converted without maps, with maps (not asked for), with `--cam`. */
  predictWithoutMapsMs: number;
  predictMs: number;
  predictCamMs: number;
  /** The same runs' CPU time (all of the process's threads), ms per picture: what the work costs, whatever the load. */
  predictWithoutMapsCpuMs: number;
  predictCpuMs: number;
  predictCamCpuMs: number;
  /** The graph alone, batch 32: ms per picture without and with the `cam` output. */
  graphMs: number;
  graphCamMs: number;
  /** The same graph converted without the cam output (the export before maps). */
  graphWithoutCamMs: number;
  threads: number;
}

export async function benchCam(count = 64): Promise<CamBenchResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-cam-"));
  try {
    const modelDir = path.join(dir, "export");
    const withoutMapsDir = path.join(dir, "export-without-maps");
    const { bytes, withoutCam } = await writeExport(modelDir, withoutMapsDir);
    const pictures = await writePictures(path.join(dir, "pictures"), count);
    const camDir = path.join(dir, "overlays");
    const [before, plain, withCam]: Measured[][] = [[], [], []];
    await predict({ modelDir, inputs: pictures.slice(0, 4), camDir });
    await predict({ modelDir: withoutMapsDir, inputs: pictures.slice(0, 4) });
    for (let round = 0; round < ROUNDS; round++) {
      before.push(await measured(() => predict({ modelDir: withoutMapsDir, inputs: pictures }), count));
      plain.push(await measured(() => predict({ modelDir, inputs: pictures }), count));
      withCam.push(await measured(() => predict({ modelDir, inputs: pictures, camDir }), count));
      if (process.env.BENCH_VERBOSE) process.stderr.write(`round ${round}: ${[before, plain, withCam].map((runs) => `${runs[round].wall.toFixed(1)} (CPU ${runs[round].cpu.toFixed(1)})`).join(" / ")} ms/picture\n`);
    }
    const graph = await benchGraph(bytes, withoutCam);
    const wall = (runs: Measured[]) => median(runs.map((run) => run.wall));
    const cpu = (runs: Measured[]) => median(runs.map((run) => run.cpu));
    return {
      pictures: count,
      predictWithoutMapsMs: wall(before), predictMs: wall(plain), predictCamMs: wall(withCam),
      predictWithoutMapsCpuMs: cpu(before), predictCpuMs: cpu(plain), predictCamCpuMs: cpu(withCam),
      ...graph,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The graph alone on one batch of 32, interleaved, median ms per picture. */
async function benchGraph(bytes: Uint8Array, withoutCam: Uint8Array): Promise<{ graphMs: number; graphCamMs: number; graphWithoutCamMs: number; threads: number }> {
  const session = await createOnnxSession(bytes);
  const before = await createOnnxSession(withoutCam);
  try {
    const batch = Float32Array.from({ length: 32 * SIZE * SIZE * 3 }, (_, i) => (i * 2654435761) % 256);
    const run = (on: typeof session, outputs: Array<"probabilities" | "cam">) => timed(() => runOnnx(on, batch, 32, SIZE, SIZE, { outputs }));
    await run(session, ["probabilities", "cam"]);
    await run(before, ["probabilities"]);
    const [plain, cam, old]: number[][] = [[], [], []];
    for (let round = 0; round < ROUNDS * 2; round++) {
      plain.push(await run(session, ["probabilities"]) / 32);
      cam.push(await run(session, ["probabilities", "cam"]) / 32);
      old.push(await run(before, ["probabilities"]) / 32);
    }
    return { graphMs: median(plain), graphCamMs: median(cam), graphWithoutCamMs: median(old), threads: session.threads };
  } finally {
    await session.release();
    await before.release();
  }
}

/** Export folders as `export` writes them (model.onnx with the cam output, labels.json, preprocess.json), and one converted without maps; returns the model bytes. Also bench/space-cam.ts's. */
export async function writeExport(modelDir: string, withoutMapsDir: string): Promise<{ bytes: Uint8Array; withoutCam: Uint8Array }> {
  const tf = await loadTensorflow();
  const model = await loadNsfwMobileNet(tf);
  const preprocess: Preprocess = { size: [SIZE, SIZE], resize: "squish", kernel: "linear", channels: "RGB", range: [0, 255], layout: "NHWC", scaling: { scale: 1 / 255, offset: 0 } };
  let seed = 1;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  try {
    const head = {
      mean: Float32Array.from({ length: FEATURES }, () => random()),
      std: Float32Array.from({ length: FEATURES }, () => 0.5 + random()),
      weights: Float32Array.from({ length: FEATURES * 2 }, () => random() - 0.5),
      bias: Float32Array.of(0, 0),
      labels: LABELS,
    };
    const metadata = { [EXPORT_METADATA_KEYS.labels]: JSON.stringify(LABELS), [EXPORT_METADATA_KEYS.preprocess]: JSON.stringify(preprocess) };
    const convert = (cam: boolean) => convertLayersModel({ model, outputs: TAPS, input: { height: SIZE, width: SIZE, ...preprocess.scaling }, head, cam, metadata });
    const [bytes, withoutCam] = [await convert(true), await convert(false)];
    for (const [dir, model] of [[modelDir, bytes], [withoutMapsDir, withoutCam]] as const) {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, EXPORT_FILES.model), model);
      await fs.writeFile(path.join(dir, EXPORT_FILES.labels), JSON.stringify(LABELS));
      await fs.writeFile(path.join(dir, EXPORT_FILES.preprocess), JSON.stringify(preprocess));
    }
    return { bytes, withoutCam };
  } finally {
    model.dispose();
  }
}

/** Photo-sized JPEGs (640x480) of gradients and blocks. */
export async function writePictures(dir: string, count: number): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const [width, height] = [640, 480];
  return Promise.all(Array.from({ length: count }, async (_, n) => {
    const pixels = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      const [x, y] = [i % width, Math.floor(i / width)];
      pixels[i * 3] = (x + n * 13) % 256;
      pixels[i * 3 + 1] = ((x >> 5) + (y >> 5) + n) % 2 ? 200 : 60;
      pixels[i * 3 + 2] = (y * 2 + n * 7) % 256;
    }
    const file = path.join(dir, `picture-${n}.jpg`);
    await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toFile(file);
    return file;
  }));
}

/** Wall and CPU milliseconds per item of one run. */
interface Measured {
  wall: number;
  cpu: number;
}

async function measured(work: () => Promise<unknown>, items: number): Promise<Measured> {
  const cpuBefore = process.cpuUsage();
  const wall = await timed(work);
  const cpu = process.cpuUsage(cpuBefore);
  return { wall: wall / items, cpu: (cpu.user + cpu.system) / 1000 / items };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The result as BENCHMARKS.md rows. */
export function camBenchRows(r: CamBenchResult): string[] {
  const ratio = (a: number, b: number) => {
    const change = (b / a - 1) * 100;
    return `${change >= 0 ? "+" : "−"}${Math.abs(change).toFixed(0)} %`;
  };
  const row = (what: string, a: number, b: number, c: number) => `| predict ${r.pictures} JPEGs 640x480, ${what} per picture, export without maps | ${a.toFixed(1)} ms | export with maps: ${b.toFixed(1)} ms (${ratio(a, b)}); with --cam (map + overlay PNG): ${c.toFixed(1)} ms (${ratio(a, c)}) |`;
  return [
    row(`CPU time (${r.threads} ONNX threads)`, r.predictWithoutMapsCpuMs, r.predictCpuMs, r.predictCamCpuMs),
    row("wall time", r.predictWithoutMapsMs, r.predictMs, r.predictCamMs),
    `| the graph alone, batch 32, probabilities only | ${r.graphMs.toFixed(1)} ms/picture | with the cam output: ${r.graphCamMs.toFixed(1)} ms/picture (${ratio(r.graphMs, r.graphCamMs)}); converted without cam: ${r.graphWithoutCamMs.toFixed(1)} ms/picture |`,
  ];
}

if (require.main === module) {
  const count = Number(process.argv[2] ?? 64);
  benchCam(count).then((r) => {
    process.stdout.write(`${camBenchRows(r).join("\n")}\n`);
  }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
