/**
 * `import <video>`: real footage as data (an auditor's recordings of the real person). Frames are sampled with the
 * same ffmpeg the check uses, and each goes through the same verify/resize/dedupe/manifest pipeline as a picture,
 * recorded with the video's path, its sha256 and the frame's time. Frames of one video are compared with the
 * project's tighter `dedupe.videoFrameDistance`, so a talking person's frames a second apart are not dropped as copies.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { findFfmpeg } from "../video/find-ffmpeg";
import { probeVideo } from "../video/probe-video";
import { readVideoFrames } from "../video/read-video-frames";
import { DatasetWriter } from "../dataset/dataset-writer";
import { ingestImage, newCategoryReport, type IngestReport } from "../dataset/ingest-image";
import { faceCropSettings } from "../face-crop/face-crop-settings";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";

export { VIDEO_EXTENSIONS } from "./video-extensions";

export interface ImportVideoParams extends OperationOptions {
  projectDir: string;
  config: ProjectConfig;
  file: string;
  /** An existing category label. */
  label: string;
  /** Frames sampled per second (default 1). */
  fps?: number;
}

/** Frames are read at up to this size, then resized like any picture (resizeMax). */
const FRAME_MAX_SIDE = 1280;

/** Imports sampled frames of `file` as `label`; frames already imported (same video path and time) are skipped. */
export async function importVideo(params: ImportVideoParams): Promise<IngestReport> {
  const { config, label, signal, onProgress } = params;
  const fps = params.fps ?? 1;
  if (!(fps > 0 && fps <= 30)) throw new StudioError(`${fps} frames per second is out of range.`, "import-fps-invalid", "Sample between 0.1 and 30 frames per second (1 is a good start for a talking person).");
  if (!config.categories.some((category) => category.label === label)) {
    throw new StudioError(`No category "${label}" in deepfake-studio.json.`, "unknown-category", `Use one of ${config.categories.map((c) => `"${c.label}"`).join(", ")}.`);
  }
  const file = path.resolve(params.file);
  const tools = await findFfmpeg();
  const info = await probeVideo({ file, tools, signal });
  const sha256 = await hashFile(file);
  const writer = await DatasetWriter.open(resolveDataDir(params.projectDir, config), { faceCrop: config.faceCrop, dedupe: config.dedupe });
  const row = newCategoryReport(label);
  const report: IngestReport = { categories: [row], conflicts: [] };
  const faceCrop = config.faceCrop ? faceCropSettings(config) : undefined;
  onProgress?.({ event: "phase", phase: "import", message: `Importing frames of ${file} (${fps} per second) as ${label}…` });
  for await (const frame of readVideoFrames({ file, tools, info, fps, maxSide: FRAME_MAX_SIDE, signal, onProblem: (message) => onProgress?.({ event: "warning", message }) })) {
    throwIfAborted(signal, "import");
    row.found += 1;
    const time = Math.round(frame.time * 1000) / 1000;
    // The path and time name the frame: a second import of the same video skips it before decoding anything.
    const originalPath = `${file}#t=${time}`;
    if (writer.isKnown(originalPath)) {
      row.alreadyKnown += 1;
      continue;
    }
    const png = await sharp(Buffer.from(frame.data), { raw: { width: frame.width, height: frame.height, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
    row.fetched += 1;
    await ingestImage({ writer, bytes: png, label, origin: { source: "import", originalPath, video: { file, sha256, time } }, resizeMax: config.resizeMax, report: row, conflicts: report.conflicts, faceCrop });
    onProgress?.({ event: "progress", phase: "import", done: row.found, message: label });
  }
  throwIfAborted(signal, "import");
  row.total = writer.countByLabel().get(label) ?? 0;
  return report;
}

function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file).on("data", (chunk) => hash.update(chunk)).on("error", reject).on("end", () => resolve(hash.digest("hex")));
  });
}
