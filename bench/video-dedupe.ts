/**
 * The measurement behind `dedupe.videoFrameDistance` (BENCHMARKS.md, "Near-duplicate distance for video frames"):
 * 10 s clips made with ffmpeg from a real face photo framed as in a call, sampled at 1 fps as `import <video>` does.
 * Per clip: the Hamming distances between consecutive frames' hashes, between each frame and its web re-upload
 * (240 px, JPEG quality 35), the frames `importVideo` keeps at each distance, and per dedupe mode ("near" with its
 * default distances, "exact") the frames kept and how many re-uploads a later import of them drops.
 * Recordings given with --video are measured the same way, after the synthetic clips (real footage; say in
 * BENCHMARKS.md what each one shows and under which licence).
 * Usage: npm run bench:video-dedupe   (node out/bench/video-dedupe.js [--video file]… [distance…], default 0 2 4 10)
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { readManifest } from "../src/core/dataset/manifest";
import { importFolder } from "../src/core/gather/import-folder";
import { importVideo } from "../src/core/gather/import-video";
import { hammingDistance } from "../src/core/shared/perceptual-hash";
import { processImage } from "../src/core/shared/process-image";
import { parseProjectConfig, type ProjectConfig } from "../src/core/project/project-config";
import { hasFfmpeg, makeCallClip } from "../test/fixtures/make-clip";

/** A clip to measure: its name in the table, a folder-safe name, and how to get the file. */
interface Clip {
  name: string;
  file: string;
  make(work: string): Promise<string>;
}

/** The synthetic clips: a person talking (small motion), swaying, and a still shot. */
const CLIPS: Clip[] = [
  { name: "face moving 4 px, zoom ±1 %", file: "small-motion", pixels: 4, zoom: 0.01 },
  { name: "swaying 20 px, zoom ±5 %", file: "swaying", pixels: 20, zoom: 0.05 },
  { name: "still shot", file: "still", pixels: 0, zoom: 0 },
].map(({ name, file, pixels, zoom }) => ({ name, file, make: (work: string) => makeCallClip({ dir: work, name: file, pixels, zoom }) }));

/** A recording on disk, measured as it is. */
function recordedClip(file: string, index: number): Clip {
  return { name: path.basename(file), file: `recording-${index}`, make: async () => path.resolve(file) };
}
const LABEL = "Real";

export interface VideoDedupeRow {
  clip: string;
  frames: number;
  /** [min, max] bits between consecutive frames (frames compared by pixels only, so all are kept). */
  consecutive: [number, number];
  /** [min, max] bits between a frame and its re-upload. */
  reupload: [number, number];
  /** Frames kept per videoFrameDistance. */
  kept: Record<number, number>;
  /** Per policy, the frames kept and how many of the frames' re-uploads, imported afterwards as pictures, were dropped. */
  policies: { near: { kept: number; reuploadsDropped: number }; nearPixelsOnly: { kept: number; reuploadsDropped: number }; exact: { kept: number; reuploadsDropped: number } };
  /** Re-uploads made: one per distinct frame (a still shot's identical frames give one). */
  reuploads: number;
}

function config(videoFrameDistance: number, mode: "near" | "exact" = "near"): ProjectConfig {
  return parseProjectConfig({ categories: [{ label: LABEL }, { label: "Fake" }], dedupe: { mode, videoFrameDistance } });
}

const range = (values: number[]): [number, number] => [Math.min(...values), Math.max(...values)];

/** Measures every synthetic clip, then each recording in `videos`, at `distances`. */
export async function benchVideoDedupe(distances: number[] = [0, 2, 4, 10], videos: readonly string[] = []): Promise<VideoDedupeRow[]> {
  if (!(await hasFfmpeg())) throw new Error("The video-frame bench needs ffmpeg and ffprobe on PATH (they make the clips).");
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-video-dedupe-"));
  try {
    const rows: VideoDedupeRow[] = [];
    for (const clip of [...CLIPS, ...videos.map(recordedClip)]) {
      const file = await clip.make(work);
      const project = async (distance: number) => {
        const projectDir = await fs.mkdtemp(path.join(work, `${clip.file}-${distance}-`));
        const report = await importVideo({ projectDir, config: config(distance), file, label: LABEL, fps: 1 });
        return { projectDir, kept: report.categories[0].kept, found: report.categories[0].found };
      };
      // -1: frames compared by their pixels only, so every distinct frame is kept and its hash recorded.
      const all = await project(-1);
      const frames = (await readManifest(path.join(all.projectDir, "data"))).sort((a, b) => (a.video?.time ?? 0) - (b.video?.time ?? 0));
      const consecutive = frames.slice(1).map((frame, index) => hammingDistance(frames[index].perceptualHash, frame.perceptualHash));
      const reupload: number[] = [];
      const uploads = path.join(work, `${clip.file}-uploads`);
      await fs.mkdir(uploads, { recursive: true });
      for (const frame of frames) {
        const upload = await sharp(path.join(all.projectDir, "data", frame.file)).resize(240).jpeg({ quality: 35 }).toBuffer();
        await fs.writeFile(path.join(uploads, path.basename(frame.file)), upload);
        reupload.push(hammingDistance(frame.perceptualHash, (await processImage(upload, { resizeMax: config(0).resizeMax })).perceptualHash));
      }
      const kept: Record<number, number> = {};
      for (const distance of distances) kept[distance] = (await project(distance)).kept;
      // Each policy end to end: the video imported, then its frames' re-uploads imported as pictures of the same label.
      // "near" as a project gets it by default (frames of one video 0 bits apart), and with frames compared by their pixels only (-1).
      const policy = async (mode: "near" | "exact", frameDistance: number) => {
        const projectDir = await fs.mkdtemp(path.join(work, `${clip.file}-${mode}-${frameDistance}-`));
        const video = await importVideo({ projectDir, config: config(frameDistance, mode), file, label: LABEL, fps: 1 });
        const row = (await importFolder({ projectDir, config: config(frameDistance, mode), folder: uploads, label: LABEL })).categories[0];
        return { kept: video.categories[0].kept, reuploadsDropped: row.duplicates + row.nearDuplicates };
      };
      const policies = { near: await policy("near", 0), nearPixelsOnly: await policy("near", -1), exact: await policy("exact", 0) };
      rows.push({ clip: clip.name, frames: all.found, consecutive: consecutive.length > 0 ? range(consecutive) : [0, 0], reupload: range(reupload), kept, policies, reuploads: frames.length });
    }
    return rows;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** The table as BENCHMARKS.md shows it. */
export function videoDedupeTable(rows: VideoDedupeRow[], distances: number[]): string[] {
  const span = ([min, max]: [number, number]) => (min === max ? `${min}` : `${min}–${max}`);
  return [
    `| clip | frames at 1 fps | consecutive frames (bits) | re-upload (bits) | frames kept at distance ${distances.join(" / ")} | \`near\` (default: frames 0 bits, pictures 10): frames kept, re-uploads dropped | \`near\`, frames by their pixels only (-1): frames kept, re-uploads dropped | \`exact\`: frames kept, re-uploads dropped |`,
    "|---|---|---|---|---|---|---|---|",
    ...rows.map((row) => `| ${row.clip} | ${row.frames} | ${span(row.consecutive)} | ${span(row.reupload)} | ${distances.map((distance) => `${row.kept[distance]}`).join(" / ")} | ${row.policies.near.kept}, ${row.policies.near.reuploadsDropped} of ${row.reuploads} | ${row.policies.nearPixelsOnly.kept}, ${row.policies.nearPixelsOnly.reuploadsDropped} of ${row.reuploads} | ${row.policies.exact.kept}, ${row.policies.exact.reuploadsDropped} of ${row.reuploads} |`),
  ];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const videos: string[] = [];
  const numbers: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--video" && args[i + 1] !== undefined) videos.push(args[++i]);
    else numbers.push(args[i]);
  }
  const distances = numbers.map(Number);
  const chosen = distances.length > 0 && distances.every((distance) => Number.isInteger(distance) && distance >= 0 && distance <= 32) ? distances : [0, 2, 4, 10];
  const started = Date.now();
  const rows = await benchVideoDedupe(chosen, videos);
  console.log(`Run of ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${os.cpus().length} x ${os.cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (const line of videoDedupeTable(rows, chosen)) console.log(line);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
