/**
 * The measurement behind `dedupe.videoFrameDistance` (BENCHMARKS.md, "Near-duplicate distance for video frames"):
 * 10 s clips made with ffmpeg from a real face photo framed as in a call, sampled at 1 fps as `import <video>` does.
 * Per clip: the Hamming distances between consecutive frames' hashes, between each frame and its web re-upload
 * (240 px, JPEG quality 35), and the frames `importVideo` keeps at each distance.
 * Usage: npm run bench:video-dedupe   (node out/bench/video-dedupe.js [distance…], default 0 2 4 10)
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { readManifest } from "../src/core/dataset/manifest";
import { importVideo } from "../src/core/gather/import-video";
import { hammingDistance } from "../src/core/gather/perceptual-hash";
import { processImage } from "../src/core/gather/process-image";
import { parseProjectConfig, type ProjectConfig } from "../src/core/project/project-config";
import { hasFfmpeg, makeCallClip } from "../test/fixtures/make-clip";

/** The clips: a person talking (small motion), swaying, and a still shot. */
const CLIPS = [
  { name: "face moving 4 px, zoom ±1 %", file: "small-motion", pixels: 4, zoom: 0.01 },
  { name: "swaying 20 px, zoom ±5 %", file: "swaying", pixels: 20, zoom: 0.05 },
  { name: "still shot", file: "still", pixels: 0, zoom: 0 },
];
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
}

function config(videoFrameDistance: number): ProjectConfig {
  return parseProjectConfig({ categories: [{ label: LABEL }, { label: "Fake" }], dedupe: { videoFrameDistance } });
}

const range = (values: number[]): [number, number] => [Math.min(...values), Math.max(...values)];

/** Measures every clip at `distances`. */
export async function benchVideoDedupe(distances: number[] = [0, 2, 4, 10]): Promise<VideoDedupeRow[]> {
  if (!(await hasFfmpeg())) throw new Error("The video-frame bench needs ffmpeg and ffprobe on PATH (they make the clips).");
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "dds-bench-video-dedupe-"));
  try {
    const rows: VideoDedupeRow[] = [];
    for (const clip of CLIPS) {
      const file = await makeCallClip({ dir: work, name: clip.file, pixels: clip.pixels, zoom: clip.zoom });
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
      for (const frame of frames) {
        const upload = await sharp(path.join(all.projectDir, "data", frame.file)).resize(240).jpeg({ quality: 35 }).toBuffer();
        reupload.push(hammingDistance(frame.perceptualHash, (await processImage(upload, { resizeMax: config(0).resizeMax })).perceptualHash));
      }
      const kept: Record<number, number> = {};
      for (const distance of distances) kept[distance] = (await project(distance)).kept;
      rows.push({ clip: clip.name, frames: all.found, consecutive: consecutive.length > 0 ? range(consecutive) : [0, 0], reupload: range(reupload), kept });
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
    `| clip | consecutive frames (bits) | re-upload (bits) | frames kept of ${rows[0]?.frames ?? "?"} at distance ${distances.join(" / ")} |`,
    "|---|---|---|---|",
    ...rows.map((row) => `| ${row.clip} | ${span(row.consecutive)} | ${span(row.reupload)} | ${distances.map((distance) => `${row.kept[distance]}`).join(" / ")} |`),
  ];
}

async function main(): Promise<void> {
  const distances = process.argv.slice(2).map(Number);
  const chosen = distances.length > 0 && distances.every((distance) => Number.isInteger(distance) && distance >= 0 && distance <= 32) ? distances : [0, 2, 4, 10];
  const started = Date.now();
  const rows = await benchVideoDedupe(chosen);
  console.log(`Run of ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${os.cpus().length} x ${os.cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (const line of videoDedupeTable(rows, chosen)) console.log(line);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
