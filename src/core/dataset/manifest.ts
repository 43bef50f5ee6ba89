/** The provenance manifest (data/manifest.jsonl): one JSON line per kept image, so an auditor can trace each to its source. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { FaceCropPlacement } from "../face-crop/crop-largest-face";
import type { EngineName } from "../gather/engines/engine-names";
import { describeFsError } from "../shared/errors";
import { ensureDir } from "../shared/safe-files";

export const MANIFEST_FILE_NAME = "manifest.jsonl";
/** URLs and files that were looked at and not kept (failures, duplicates), so re-runs skip them. */
export const SKIPPED_FILE_NAME = "skipped.jsonl";

export interface ManifestRecord {
  /** Path relative to the data folder, with forward slashes. */
  file: string;
  label: string;
  /** The search engine that found the picture, or "import". */
  source: EngineName | "import";
  query?: string;
  imageUrl?: string;
  pageUrl?: string;
  title?: string;
  /** Licence as the engine states it ("CC BY-SA 4.0"); only engines that know it (wikimedia, openverse). */
  license?: string;
  licenseUrl?: string;
  /** Author or creator, as the engine names them. */
  author?: string;
  /** For imports: where the original file was (for a video frame: the video's path and `#t=<seconds>`). */
  originalPath?: string;
  /** A frame imported from a video: which video (path and sha256 of its bytes) and when in it, in seconds. */
  video?: { file: string; sha256: string; time: number };
  /** sha256 of the JPEG file as written. */
  sha256: string;
  /** sha256 of the decoded, resized pixels: equal pictures in other wrappers share it. */
  pixelSha256: string;
  perceptualHash: string;
  width: number;
  height: number;
  sourceFormat: string;
  time: string;
  /** Present when the project crops faces: `file` is the crop of the largest face of the picture kept at `face.original`. */
  face?: ManifestFace;
}

/** A face crop's source picture (resized as gather stores pictures) and where in it the crop was cut. */
export interface ManifestFace extends FaceCropPlacement {
  /** The whole picture, relative to the data folder (under ORIGINALS_FOLDER_NAME). */
  original: string;
  originalSha256: string;
  originalWidth: number;
  originalHeight: number;
}

export interface SkipRecord {
  label: string;
  imageUrl?: string;
  originalPath?: string;
  /** Why it was not kept: a reject reason, "http-404", "duplicate", "near-duplicate", "cross-category-duplicate", … */
  reason: string;
  detail?: string;
  /** The kept file this one duplicates (relative to the data folder). */
  duplicateOf?: string;
  time: string;
}

/** Reads a JSON-lines file; a torn last line (a killed run) is ignored rather than fatal. */
export async function readJsonLines<T>(file: string): Promise<T[]> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw describeFsError(error, file);
  }
  const records: T[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      // A line cut short by a crash: the image it described is re-found on the next run.
    }
  }
  return records;
}

/** Appends whole lines; one write per call so a crash tears at most the last line. */
export async function appendJsonLines(file: string, records: readonly object[]): Promise<void> {
  if (records.length === 0) return;
  await ensureDir(path.dirname(file));
  try {
    await fs.appendFile(file, records.map((record) => `${JSON.stringify(record)}\n`).join(""));
  } catch (error) {
    throw describeFsError(error, file);
  }
}

/** Reads the manifest of a data folder. */
export function readManifest(dataDir: string): Promise<ManifestRecord[]> {
  return readJsonLines<ManifestRecord>(path.join(dataDir, MANIFEST_FILE_NAME));
}

/** Reads the list of skipped URLs/files of a data folder. */
export function readSkipped(dataDir: string): Promise<SkipRecord[]> {
  return readJsonLines<SkipRecord>(path.join(dataDir, SKIPPED_FILE_NAME));
}

/** Replaces the manifest in one step (temp file + rename), so readers never see half of it. */
export async function writeManifest(dataDir: string, records: readonly ManifestRecord[]): Promise<void> {
  const file = path.join(dataDir, MANIFEST_FILE_NAME);
  const temp = `${file}.${process.pid}.${Date.now()}.part`;
  try {
    await fs.writeFile(temp, records.map((record) => `${JSON.stringify(record)}\n`).join(""));
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw describeFsError(error, file);
  }
}
