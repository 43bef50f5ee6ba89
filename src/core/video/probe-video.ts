/**
 * Reads a video's container, size and duration with ffprobe, and refuses what check cannot read with a message
 * that says why: an empty file, a container other than MP4/MOV/WebM/MKV, a cut-short MP4, no video stream.
 */
import { promises as fs } from "node:fs";
import { MediaReadError } from "./video-errors";
import type { FfmpegTools } from "./find-ffmpeg";
import { runProgram } from "./run-program";

/** The containers check reads; ffprobe names each family by its demuxer. */
export type VideoContainer = "mp4" | "mov" | "webm" | "mkv";

/** What check needs to know about a video before streaming it. */
export interface VideoInfo {
  container: VideoContainer;
  /** ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  formatName: string;
  /** Index of the video stream in the file (cover art is skipped). */
  streamIndex: number;
  codec: string;
  /** Display size: after the rotation flag and non-square pixels, as ffmpeg outputs frames by default. */
  width: number;
  height: number;
  /** Seconds, when the container says; a cut-short file may claim more than it holds. */
  durationSeconds?: number;
  /** Frames per second the stream declares, when it does. */
  frameRate?: number;
}

/** Parameters of probeVideo. */
export interface ProbeVideoParams {
  file: string;
  tools: FfmpegTools;
  signal?: AbortSignal;
}

interface ProbeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: Array<{ rotation?: number }>;
}

interface ProbeOutput {
  format?: { format_name?: string; duration?: string; tags?: { major_brand?: string } };
  streams?: ProbeStream[];
}

const CONVERT_HINT = "Convert it first, e.g. `ffmpeg -i input.avi -c:v libx264 -pix_fmt yuv420p output.mp4`, then check the MP4.";
const READABLE = "MP4, MOV, WebM and MKV";

/** Probes `file`; throws MediaReadError (missing, not-a-file, empty, unreadable, damaged, unsupported-container, no-video-stream). */
export async function probeVideo(params: ProbeVideoParams): Promise<VideoInfo> {
  const { file } = params;
  await requireNonEmptyFile(file);
  const result = await runProgram({
    program: params.tools.ffprobe,
    args: ["-hide_banner", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", file],
    signal: params.signal,
  });
  if (result.code !== 0) throw await explainProbeFailure(file, result.stderr);
  let probe: ProbeOutput;
  try {
    probe = JSON.parse(result.stdout) as ProbeOutput;
  } catch {
    throw new MediaReadError("unreadable", "ffprobe's answer about this file could not be read.", "Check the ffmpeg installation (`ffprobe -version`).");
  }
  const formatName = probe.format?.format_name ?? "unknown";
  const container = containerOf(formatName, probe.format?.tags?.major_brand, file);
  if (container === undefined) {
    throw new MediaReadError("unsupported-container", `The file is a ${describeFormat(formatName)} file; check reads ${READABLE} videos (and JPEG/PNG images).`, CONVERT_HINT);
  }
  const stream = (probe.streams ?? []).find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1 && (s.width ?? 0) > 0 && (s.height ?? 0) > 0);
  if (stream === undefined) {
    throw new MediaReadError("no-video-stream", "The file has no video stream (it may hold only audio or subtitles).", "Check the file that holds the picture of the call.");
  }
  const [width, height] = displaySize(stream);
  const duration = positive(Number(probe.format?.duration ?? stream.duration));
  return {
    container,
    formatName,
    streamIndex: stream.index ?? 0,
    codec: stream.codec_name ?? "unknown",
    width,
    height,
    ...(duration === undefined ? {} : { durationSeconds: duration }),
    ...(rate(stream) === undefined ? {} : { frameRate: rate(stream) }),
  };
}

/** A missing, non-regular or zero-length file is refused before ffprobe runs, with a plain message. */
async function requireNonEmptyFile(file: string): Promise<void> {
  const stat = await fs.stat(file).catch((error: NodeJS.ErrnoException) => error);
  if (stat instanceof Error) {
    if (stat.code === "ENOENT" || stat.code === "ENOTDIR") throw new MediaReadError("missing", "No such file.");
    throw new MediaReadError("not-a-file", `The file cannot be read (${stat.code ?? stat.message}).`);
  }
  if (!stat.isFile()) throw new MediaReadError("not-a-file", stat.isDirectory() ? "It is a folder, not a video or image file." : "It is not a regular file.");
  if (stat.size === 0) throw new MediaReadError("empty", "The file is empty (0 bytes): nothing was recorded or the copy failed.", "Copy or download the video again.");
}

/** Turns ffprobe's complaint into what happened to the file. */
async function explainProbeFailure(file: string, stderr: string): Promise<MediaReadError> {
  const detail = lastErrorLine(stderr);
  if (/moov atom not found/i.test(stderr) && (await startsWithFtyp(file))) {
    return new MediaReadError("damaged",
      "The MP4/MOV file is cut short: its index (the moov atom, written last) is missing, so no frame can be located. An interrupted download or recording does this.",
      "Copy or download it again; a recording whose writer crashed can sometimes be repaired with `untrunc` and a healthy file from the same device.");
  }
  return new MediaReadError("unreadable",
    `ffmpeg cannot read it as a video: it is not in a container ffmpeg knows, or it is damaged from the start${detail ? ` (${detail})` : ""}.`,
    `Check that it is really a video; check reads ${READABLE} (and JPEG/PNG images).`);
}

/** ISO media files (MP4, MOV, 3GP) start with an `ftyp` box: then a missing index means the file was cut. */
async function startsWithFtyp(file: string): Promise<boolean> {
  const handle = await fs.open(file, "r").catch(() => undefined);
  if (!handle) return false;
  try {
    const head = Buffer.alloc(8);
    await handle.read(head, 0, 8, 0);
    return head.toString("latin1", 4, 8) === "ftyp";
  } finally {
    await handle.close();
  }
}

/** Maps ffprobe's demuxer family to one of ours; MOV and MP4 share a demuxer (the brand tells them apart), so do WebM and MKV. */
function containerOf(formatName: string, majorBrand: string | undefined, file: string): VideoContainer | undefined {
  const names = formatName.split(",");
  if (names.includes("mp4") || names.includes("mov")) return majorBrand?.trim() === "qt" ? "mov" : "mp4";
  if (names.includes("matroska") || names.includes("webm")) return /\.webm$/i.test(file) ? "webm" : "mkv";
  return undefined;
}

/** "AVI" for "avi", readable names for the common refusals. */
function describeFormat(formatName: string): string {
  const known: Record<string, string> = { avi: "AVI", flv: "Flash video (FLV)", gif: "GIF", asf: "Windows Media (ASF/WMV)", mpegts: "MPEG transport stream", mpeg: "MPEG program stream", ogg: "Ogg", wav: "WAV audio", mp3: "MP3 audio", image2: "still image", png_pipe: "PNG image", jpeg_pipe: "JPEG image" };
  return known[formatName] ?? `"${formatName}"`;
}

/** The size ffmpeg's frames come out at: rotated by the display matrix and stretched by the pixel aspect ratio. */
function displaySize(stream: ProbeStream): [number, number] {
  let width = stream.width ?? 0;
  const height = stream.height ?? 0;
  const [num, den] = (stream.sample_aspect_ratio ?? "1:1").split(":").map(Number);
  if (num > 0 && den > 0 && num !== den) width = Math.round((width * num) / den);
  const rotation = Number(stream.side_data_list?.find((entry) => entry.rotation !== undefined)?.rotation ?? stream.tags?.rotate ?? 0);
  return Math.abs(rotation) % 180 === 90 ? [height, width] : [width, height];
}

/** The stream's average frame rate, else its base rate. */
function rate(stream: ProbeStream): number | undefined {
  for (const text of [stream.avg_frame_rate, stream.r_frame_rate]) {
    const [num, den] = (text ?? "").split("/").map(Number);
    const value = positive(num / den);
    if (value !== undefined) return value;
  }
  return undefined;
}

function positive(value: number): number | undefined {
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The last line of ffprobe's stderr without the "[demuxer @ 0x…]" prefix and the file name. */
function lastErrorLine(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.replace(/^\[[^\]]*\]\s*/, "").trim()).filter(Boolean);
  const last = lines.at(-1) ?? "";
  const colon = last.lastIndexOf(": ");
  return (colon > 0 ? last.slice(colon + 2) : last).slice(0, 200);
}
