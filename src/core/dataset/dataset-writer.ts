/** Adds verified images to data/<label>/ with de-duplication and provenance; the one way images enter a dataset. */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { FaceCrop } from "../face-crop/crop-largest-face";
import type { ProcessedImage } from "../shared/process-image";
import { hammingDistance, NEAR_DUPLICATE_MAX_DISTANCE } from "../shared/perceptual-hash";
import type { DedupeConfig } from "../project/project-config";
import { labelToFolderName } from "../shared/labels";
import { ensureDir, removeStaleTempFiles, TEMP_FOLDER_NAME, writeFileExclusive } from "../shared/safe-files";
import { appendJsonLines, MANIFEST_FILE_NAME, readManifest, readSkipped, SKIPPED_FILE_NAME, type ManifestRecord, type SkipRecord } from "./manifest";

/**
 * Whole pictures whose face crops are the dataset's images (faceCrop projects). A dot-folder: training, the
 * cleaner and the Dataset view list label folders only, so the pictures are kept without being trained on.
 */
export const ORIGINALS_FOLDER_NAME = ".originals";

/** The skip reason of a picture in which a face-crop project found no face. */
export const NO_FACE_REASON = "no-face";

/** Where an image came from, as the manifest records it. */
export type ImageOrigin = Pick<ManifestRecord, "source" | "query" | "imageUrl" | "pageUrl" | "title" | "license" | "licenseUrl" | "author" | "originalPath" | "video">;

/** How near two pictures must be to count as one (the project file's `dedupe`). */
export type DedupePolicy = Pick<DedupeConfig, "mode" | "maxDistance" | "videoFrameDistance">;

const DEFAULT_DEDUPE: DedupePolicy = { mode: "near", maxDistance: NEAR_DUPLICATE_MAX_DISTANCE, videoFrameDistance: 0 };

export type AddOutcome =
  /** `similarTo`: a near copy kept under another label (e.g. a face swap and its source photo): reported, not dropped. */
  | { status: "kept"; record: ManifestRecord; similarTo?: ManifestRecord }
  | { status: "duplicate" | "near-duplicate" | "cross-category-duplicate"; duplicateOf: ManifestRecord };

/** Keeps the dataset's indexes in memory while a gather or import runs. */
export class DatasetWriter {
  private readonly byPixels = new Map<string, ManifestRecord>();
  private readonly images: ManifestRecord[] = [];
  private readonly knownSources = new Set<string>();

  private constructor(readonly dataDir: string, private readonly dedupe: DedupePolicy) {}

  /**
   * Loads the manifest and the skip list of `dataDir`. Pictures refused for having no face are tried again when
   * the project no longer crops faces (`faceCrop` false): the refusal was about the setting, not the picture.
   * Creating the folder first makes a read-only or misplaced data folder fail here, before any image is read.
   */
  static async open(dataDir: string, options: { faceCrop?: boolean; dedupe?: DedupePolicy } = {}): Promise<DatasetWriter> {
    await ensureDir(dataDir);
    await removeStaleTempFiles(path.join(dataDir, TEMP_FOLDER_NAME));
    const writer = new DatasetWriter(dataDir, options.dedupe ?? DEFAULT_DEDUPE);
    for (const record of await readManifest(dataDir)) writer.index(record);
    for (const skipped of await readSkipped(dataDir)) {
      if (skipped.reason === NO_FACE_REASON && !options.faceCrop) continue;
      const source = skipped.imageUrl ?? skipped.originalPath;
      if (source) writer.knownSources.add(source);
    }
    return writer;
  }

  /** True when this URL or file was kept or permanently refused by an earlier run. */
  isKnown(source: string): boolean {
    return this.knownSources.has(source);
  }

  /** Number of kept images per label. */
  countByLabel(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const record of this.images) counts.set(record.label, (counts.get(record.label) ?? 0) + 1);
    return counts;
  }

  /**
   * Writes the image unless it duplicates a kept one (exactly, nearly, or under another label). With `faceOf`,
   * `image` is a face crop: duplicates are judged on the crop, and the whole picture is kept beside it.
   */
  async add(image: ProcessedImage, label: string, origin: ImageOrigin, faceOf?: { picture: ProcessedImage; crop: FaceCrop }): Promise<AddOutcome> {
    const duplicate = this.findDuplicate(image, label, origin);
    const similarTo = this.findSimilarElsewhere(image, label);
    if (duplicate) {
      await this.skip({ label, imageUrl: origin.imageUrl, originalPath: origin.originalPath, reason: duplicate.status, duplicateOf: duplicate.duplicateOf.file, time: new Date().toISOString() });
      return duplicate;
    }
    // Claim the slot before the first await, so a concurrent near-copy sees it.
    const record: ManifestRecord = {
      file: "",
      label,
      ...origin,
      sha256: createHash("sha256").update(image.jpeg).digest("hex"),
      pixelSha256: image.pixelSha256,
      perceptualHash: image.perceptualHash,
      width: image.width,
      height: image.height,
      sourceFormat: image.sourceFormat,
      time: new Date().toISOString(),
    };
    this.index(record);
    try {
      if (faceOf) record.face = await this.writeOriginal(faceOf.picture, faceOf.crop);
      record.file = await this.writeImage(image.jpeg, label, record.sha256);
    } catch (error) {
      this.unindex(record);
      throw error;
    }
    await appendJsonLines(path.join(this.dataDir, MANIFEST_FILE_NAME), [record]);
    return { status: "kept", record, ...(similarTo ? { similarTo } : {}) };
  }

  /** Remembers a URL or file that was not kept, so the next run does not fetch it again. */
  async skip(record: SkipRecord): Promise<void> {
    const source = record.imageUrl ?? record.originalPath;
    if (source) this.knownSources.add(source);
    await appendJsonLines(path.join(this.dataDir, SKIPPED_FILE_NAME), [record]);
  }

  /** Exact copies anywhere, and near copies under the same label, are not kept. */
  private findDuplicate(image: ProcessedImage, label: string, origin: ImageOrigin): Exclude<AddOutcome, { status: "kept" }> | undefined {
    const exact = this.byPixels.get(image.pixelSha256);
    if (exact) return { status: exact.label === label ? "duplicate" : "cross-category-duplicate", duplicateOf: exact };
    if (this.dedupe.mode === "exact") return undefined;
    const near = this.images.find((known) => known.label === label && hammingDistance(known.perceptualHash, image.perceptualHash) <= this.nearDistance(known, origin));
    if (near) return { status: "near-duplicate", duplicateOf: near };
    return undefined;
  }

  /** Frames of one video are compared with the tighter videoFrameDistance; everything else with maxDistance. */
  private nearDistance(known: ManifestRecord, origin: ImageOrigin): number {
    const sameVideo = origin.video !== undefined && known.video?.sha256 === origin.video.sha256;
    return sameVideo ? this.dedupe.videoFrameDistance : this.dedupe.maxDistance;
  }

  /** A near copy under another label may be a legitimate pair (a swap of that very photo), so it is only reported. */
  private findSimilarElsewhere(image: ProcessedImage, label: string): ManifestRecord | undefined {
    return this.images.find((known) => known.label !== label && isNearCopy(known, image));
  }

  /** Keeps the picture a face was cropped from, content-addressed like the images, and says where the crop sits in it. */
  private async writeOriginal(picture: ProcessedImage, crop: FaceCrop): Promise<NonNullable<ManifestRecord["face"]>> {
    const originalSha256 = createHash("sha256").update(picture.jpeg).digest("hex");
    const original = await this.writeContentAddressed(picture.jpeg, ORIGINALS_FOLDER_NAME, originalSha256);
    return { original, originalSha256, originalWidth: picture.width, originalHeight: picture.height, ...crop.placement };
  }

  /** Content-addressed name in the label's folder. */
  private writeImage(jpeg: Buffer, label: string, sha256: string): Promise<string> {
    return this.writeContentAddressed(jpeg, labelToFolderName(label), sha256);
  }

  /** An existing file with the same bytes (a run killed before its manifest line, or a shared original) is adopted. */
  private async writeContentAddressed(jpeg: Buffer, folder: string, sha256: string): Promise<string> {
    for (let attempt = 0; ; attempt += 1) {
      const name = `${sha256.slice(0, 16)}${attempt === 0 ? "" : `-${attempt}`}.jpg`;
      const target = path.join(this.dataDir, folder, name);
      await ensureDir(path.dirname(target));
      if (await writeFileExclusive(target, jpeg, path.join(this.dataDir, TEMP_FOLDER_NAME))) return `${folder}/${name}`;
      if ((await fs.readFile(target)).equals(jpeg)) return `${folder}/${name}`;
    }
  }

  private index(record: ManifestRecord): void {
    this.byPixels.set(record.pixelSha256, record);
    this.images.push(record);
    for (const source of [record.imageUrl, record.originalPath]) if (source) this.knownSources.add(source);
  }

  private unindex(record: ManifestRecord): void {
    this.byPixels.delete(record.pixelSha256);
    const position = this.images.indexOf(record);
    if (position >= 0) this.images.splice(position, 1);
    for (const source of [record.imageUrl, record.originalPath]) if (source) this.knownSources.delete(source);
  }
}

function isNearCopy(known: ManifestRecord, image: ProcessedImage): boolean {
  return hammingDistance(known.perceptualHash, image.perceptualHash) <= NEAR_DUPLICATE_MAX_DISTANCE;
}
