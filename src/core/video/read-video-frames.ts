/**
 * Streams a video's frames out of ffmpeg: sampled at `fps`, scaled so the longest side is at most `maxSide`, as raw
 * RGB over a pipe, read one frame at a time. Only one frame (plus the pipe's buffer) is in memory at once whatever
 * the video's length, and ffmpeg waits while the caller is busy with a frame (the pipe applies back-pressure).
 */
import { spawn } from "node:child_process";
import { CancelledError } from "../shared/errors";
import { MediaReadError } from "./video-errors";
import type { FfmpegTools } from "./find-ffmpeg";
import { formatTimestamp } from "./format-timestamp";
import type { VideoInfo } from "./probe-video";

/** One sampled frame. */
export interface VideoFrame {
  /** 0-based position among the sampled frames. */
  index: number;
  /** Seconds from the start of the video: index / fps. */
  time: number;
  width: number;
  height: number;
  /** width * height * 3 bytes, RGB, row-major; a fresh buffer per frame, so callers may keep it. */
  data: Uint8Array;
}

/** Parameters of readVideoFrames. */
export interface ReadVideoFramesParams {
  file: string;
  tools: FfmpegTools;
  /** From probeVideo: which stream, and its display size. */
  info: VideoInfo;
  /** Sampled frames per second. */
  fps: number;
  /** Longest side of the frames handed out; smaller videos are not enlarged. */
  maxSide: number;
  signal?: AbortSignal;
  /** Told about damage ffmpeg read past (corrupt packets, a cut-short end); the frames it could decode still come. */
  onProblem?: (message: string) => void;
}

const STDERR_KEEP = 64 * 1024;

/** Yields the sampled frames in order; throws MediaReadError when not a single frame could be decoded. */
export async function* readVideoFrames(params: ReadVideoFramesParams): AsyncGenerator<VideoFrame, void, undefined> {
  const { fps, signal } = params;
  const [width, height] = frameSize(params.info, params.maxSide);
  const frameBytes = width * height * 3;
  const child = spawn(params.tools.ffmpeg, [
    "-hide_banner", "-nostdin", "-loglevel", "error",
    "-i", params.file,
    "-map", `0:${params.info.streamIndex}`, "-an", "-sn", "-dn",
    // fps first, so only the kept frames are scaled; "area" averages the pixels a downscale drops (no aliasing).
    "-vf", `fps=${fps},scale=${width}:${height}:flags=area`,
    "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1",
  ], { stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on("error", (error) => resolve({ code: null, error }));
    child.on("close", (code) => resolve({ code }));
  });
  const onAbort = (): void => {
    child.kill("SIGKILL");
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  let index = 0;
  let frame = newFrameBuffer(frameBytes);
  let filled = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let at = 0;
      while (at < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - at);
        chunk.copy(frame, filled, at, at + take);
        filled += take;
        at += take;
        if (filled === frameBytes) {
          if (signal?.aborted) throw new CancelledError("check");
          yield { index, time: index / fps, width, height, data: frame };
          index += 1;
          frame = newFrameBuffer(frameBytes);
          filled = 0;
        }
      }
    }
    const { code, error } = await exited;
    if (signal?.aborted) throw new CancelledError("check");
    if (error) throw new MediaReadError("unreadable", `ffmpeg could not be started (${error.message}).`, "Check the ffmpeg installation (`ffmpeg -version`).");
    const complaint = summariseStderr(stderr);
    if (index === 0) {
      throw new MediaReadError("damaged", `No frame of the video could be decoded${complaint ? ` (ffmpeg: ${complaint})` : ""}.`,
        "The file is damaged or cut short before its first picture; copy or download it again.");
    }
    const readSeconds = index / fps;
    const claimed = params.info.durationSeconds;
    const detail = complaint ? ` (ffmpeg: ${complaint})` : "";
    // A cut-short file keeps the duration its header promised; more than two missing samples is not rounding.
    if (claimed !== undefined && claimed - readSeconds > 2 / fps + 0.5) {
      params.onProblem?.(`Only the first ${formatTimestamp(readSeconds)} of ${formatTimestamp(claimed)} could be read: the file is cut short or damaged after that point${detail}; the ${index} frame(s) before it were checked.`);
    } else if (code !== 0 && code !== null) {
      params.onProblem?.(`ffmpeg stopped with exit code ${code} after ${index} frame(s)${detail}; those frames were checked.`);
    } else if (complaint) {
      params.onProblem?.(`ffmpeg reported damaged data while decoding (${complaint}); frames near the damage may show artefacts or repeat.`);
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // The caller may stop early (break, error, cancel): ffmpeg must not be left running or blocked on a full pipe.
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    child.stdout.destroy();
  }
}

/** The output size: the display size shrunk (never enlarged) so its longest side fits maxSide, kept even for the scaler. */
function frameSize(info: Pick<VideoInfo, "width" | "height">, maxSide: number): [number, number] {
  const scale = Math.min(1, maxSide / Math.max(info.width, info.height));
  const even = (value: number): number => Math.max(2, 2 * Math.round((value * scale) / 2));
  return [even(info.width), even(info.height)];
}

/** How many error lines ffmpeg printed and the first one, without "[h264 @ 0x…]" prefixes. */
function summariseStderr(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.replace(/^\[[^\]]*\]\s*/, "").trim()).filter(Boolean);
  if (lines.length === 0) return "";
  const first = lines[0].slice(0, 160);
  return lines.length === 1 ? first : `${lines.length} messages, the first: ${first}`;
}

/**
 * A frame's bytes in shared memory: the face-net worker threads read the frame where it is, where an ordinary buffer
 * is copied into each message (0.9 MB a 640×480 frame).
 */
function newFrameBuffer(bytes: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(bytes));
}
