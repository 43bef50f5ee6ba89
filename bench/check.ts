/**
 * `check` on a generated call-like video (640x480, 25 fps, a different face every second, the second half
 * face-swapped) with the demo's exported model: sampled frames per second end to end (ffmpeg decoding, face
 * detection, cropping, batched scoring, summary; no report) and the peak memory, cold (models loading) and warm.
 * Target on 2 cores: ≥ 10 sampled frames/s at 2 fps sampling. Run alone with: node out/bench/check.js [seconds]
 * (DEEPFAKE_STUDIO_BENCH_EXPORT=<export folder> skips building the demo export, ~30 s).
 */
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkMedia } from "../src/core/check/check-media";
import { findFfmpeg } from "../src/core/video/find-ffmpeg";
import { probeVideo } from "../src/core/video/probe-video";
import { readVideoFrames, type VideoFrame } from "../src/core/video/read-video-frames";
import { FRAME_INPUT_SIZE } from "../src/core/face-crop/detect-frame-faces";
import { detectStillFaces } from "../src/core/face-crop/detect-still-faces";
import { setFaceNetWorkers } from "../src/core/face-nets/face-net-pool";
import type { MediaCheck } from "../src/core/check/check-types";
import { runDemo } from "../src/core/demo/run-demo";
import { makeFaceSwapClip } from "../test/fixtures/make-clip";

/** One timed check. */
export interface CheckBenchRun {
  seconds: number;
  framesPerSecond: number;
  /** Highest resident set size seen during the run, MiB. */
  peakRssMiB: number;
}

/** Result of benchCheck. */
export interface CheckBenchResult {
  videoSeconds: number;
  frames: number;
  faces: number;
  fps: number;
  tta: boolean;
  cold: CheckBenchRun;
  warm: CheckBenchRun;
  /** Warm, one centre crop per face instead of two views. */
  warmNoTta: CheckBenchRun;
  /** Warm, two views, with the face nets on the calling thread (no worker threads), as before. */
  warmOneThread: CheckBenchRun;
  /** The check's face work alone on the same sampled frames (decoded beforehand): Tiny 256 + landmarks + face check + close-up retry. */
  faceWork: FaceWorkRun[];
}

/** The face work on every sampled frame: frames/s, CPU per frame (all threads), frames with a face. */
export interface FaceWorkRun {
  workers: number;
  /** Frames whose detection is in flight at once (check itself does one at a time). */
  inFlight: number;
  framesPerSecond: number;
  cpuMsPerFrame: number;
  framesWithFace: number;
}

/** Builds (or reuses) an export, generates the video, checks it three times; temp files are deleted afterwards. */
export async function benchCheck(videoSeconds = 60, fps = 2): Promise<CheckBenchResult> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "bench-check-"));
  try {
    const half = Math.max(1, Math.round(videoSeconds / 2));
    const { file, modelDir } = await prepareInChildProcess(root, half);
    const once = async (tta: boolean): Promise<{ run: CheckBenchRun; check: MediaCheck }> => {
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const started = performance.now();
      try {
        const [result] = await checkMedia({ inputs: [file], modelDir, fps, tta });
        if ("error" in result) throw new Error(result.error);
        const seconds = (performance.now() - started) / 1000;
        return { run: { seconds, framesPerSecond: result.summary.frames / seconds, peakRssMiB: peak / 2 ** 20 }, check: result };
      } finally {
        clearInterval(sampler);
      }
    };
    const cold = await once(true);
    const warm = await once(true);
    const warmNoTta = await once(false);
    setFaceNetWorkers(0);
    const warmOneThread = await once(true).finally(() => setFaceNetWorkers());
    const faceWork = await benchFaceWork(file, fps);
    return { videoSeconds: half * 2, frames: warm.check.summary.frames, faces: warm.check.summary.faces, fps, tta: true, cold: cold.run, warm: warm.run, warmNoTta: warmNoTta.run, warmOneThread: warmOneThread.run, faceWork };
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** The check's face call on each sampled frame, on the calling thread and on the worker threads, one or two frames in flight. */
async function benchFaceWork(file: string, fps: number): Promise<FaceWorkRun[]> {
  const tools = await findFfmpeg();
  const info = await probeVideo({ file, tools });
  const frames: VideoFrame[] = [];
  for await (const frame of readVideoFrames({ file, tools, info, fps, maxSide: 640 })) frames.push(frame);
  const detect = (frame: VideoFrame) => detectStillFaces({ image: frame, detector: "fast", minScore: 0.5, inputSize: FRAME_INPUT_SIZE, plausibleOnly: true });
  const runs: FaceWorkRun[] = [];
  for (const [workers, inFlight] of [[0, 1], [2, 1], [2, 2]] as const) {
    setFaceNetWorkers(workers);
    await Promise.all(frames.slice(0, 2).map(detect));
    const cpu = process.cpuUsage();
    const started = performance.now();
    let framesWithFace = 0;
    for (let i = 0; i < frames.length; i += inFlight) {
      for (const found of await Promise.all(frames.slice(i, i + inFlight).map(detect))) if (found.faces.length > 0) framesWithFace += 1;
    }
    const used = process.cpuUsage(cpu);
    runs.push({ workers, inFlight, framesPerSecond: frames.length / ((performance.now() - started) / 1000), cpuMsPerFrame: (used.user + used.system) / 1000 / frames.length, framesWithFace });
  }
  setFaceNetWorkers();
  return runs;
}

const PREPARE_FLAG = "--prepare";

/**
 * Builds the demo export (unless DEEPFAKE_STUDIO_BENCH_EXPORT names one) and the clip in a child process: both load
 * face-api's SSD detector, decode the reference photos and train, which must not weigh on the measured check.
 */
function prepareInChildProcess(dir: string, perSegment: number): Promise<{ file: string; modelDir: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [__filename, PREPARE_FLAG, dir, String(perSegment)], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { file: string; modelDir: string }));
  });
}

/** The child's work: the export, then the clip; prints their paths as one JSON line. */
async function prepare(dir: string, perSegment: number): Promise<void> {
  let modelDir = process.env.DEEPFAKE_STUDIO_BENCH_EXPORT;
  if (!modelDir) modelDir = (await runDemo({ projectDir: path.join(dir, "demo"), cacheDir: path.join(dir, "cache"), fakes: "other-person" })).exported.outDir;
  const clip = await makeFaceSwapClip({ dir, perSegment, width: 640, height: 480, frameRate: 25 });
  process.stdout.write(`${JSON.stringify({ file: clip.file, modelDir })}\n`);
}

if (require.main === module && process.argv[2] === PREPARE_FLAG) {
  prepare(process.argv[3], Number(process.argv[4])).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else if (require.main === module) {
  benchCheck(Number(process.argv[2] ?? 60)).then((result) => console.log(JSON.stringify(result, null, 2)), (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
