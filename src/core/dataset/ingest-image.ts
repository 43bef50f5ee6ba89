/** The shared tail of gather and import: verify + resize one file, de-duplicate, keep or record why not. */
import { cropLargestFace } from "../face-crop/crop-largest-face";
import type { FaceCropSettings } from "../face-crop/face-crop-settings";
import type { EngineName } from "../gather/engines/engine-names";
import { ImageRejectedError, processImage } from "../shared/process-image";
import { NO_FACE_REASON, type DatasetWriter, type ImageOrigin } from "./dataset-writer";

/** What happened to the files of one category in one run (the final table of gather/import). */
export interface CategoryReport {
  label: string;
  query?: string;
  /** Search results (gather) or files seen (import). */
  found: number;
  /** Skipped because an earlier run already kept or refused them. */
  alreadyKnown: number;
  /** Bytes obtained (downloaded or read). */
  fetched: number;
  /** Not kept, by reason (http-404, timeout, truncated, not-an-image, too-many-pixels, …). */
  failed: Record<string, number>;
  duplicates: number;
  nearDuplicates: number;
  /** The same picture already kept under another label: reported, not kept twice. */
  crossCategory: number;
  /** Kept, but a near copy of a picture under another label (listed in the conflicts). */
  similarAcrossLabels: number;
  /** Face-crop projects: pictures with more than one face, of which the largest was kept. */
  multipleFaces: number;
  kept: number;
  /** Images of this label in the dataset after the run. */
  total: number;
  /** Gather only: pictures each search engine found, and how many of them were kept. */
  engines?: Partial<Record<EngineName, { found: number; kept: number }>>;
  /** Import only: files in the folder that were not read at all, by reason (see IgnoreReason). */
  ignored?: Partial<Record<IgnoreReason, number>>;
}

/** Why import left a file in the folder unread. */
export type IgnoreReason = "symbolic-link" | "hidden" | "not-a-file";

/**
 * A picture found under two labels. "same-pixels": the very same image, kept once — a person must decide the label.
 * "similar": a near copy (perhaps a face swap of that photo), kept under both labels but worth a look.
 */
export interface LabelConflict {
  kind: "same-pixels" | "similar";
  /** The label this run was filling, and the URL or file it read. */
  label: string;
  source: string;
  /** "similar" only: where the picture was kept under `label` (relative to the data folder). */
  file?: string;
  otherLabel: string;
  otherFile: string;
}

export interface IngestReport {
  categories: CategoryReport[];
  conflicts: LabelConflict[];
}

/** An empty report row for one category. */
export function newCategoryReport(label: string, query?: string): CategoryReport {
  return { label, query, found: 0, alreadyKnown: 0, fetched: 0, failed: {}, duplicates: 0, nearDuplicates: 0, crossCategory: 0, similarAcrossLabels: 0, multipleFaces: 0, kept: 0, total: 0 };
}

/** Counts a failure reason in a report row. */
export function countFailure(report: CategoryReport, reason: string): void {
  report.failed[reason] = (report.failed[reason] ?? 0) + 1;
}

/** Runs one fetched file through resize/verify/dedupe and tallies the outcome; true when it was kept. */
export async function ingestImage(params: {
  writer: DatasetWriter;
  bytes: Buffer;
  label: string;
  origin: ImageOrigin;
  resizeMax: number;
  report: CategoryReport;
  conflicts: LabelConflict[];
  /** Keep the crop of the largest face instead of the picture (the project's faceCrop). */
  faceCrop?: FaceCropSettings;
}): Promise<boolean> {
  const { writer, label, origin, report } = params;
  const source = origin.imageUrl ?? origin.originalPath ?? "";
  let image;
  try {
    image = await processImage(params.bytes, { resizeMax: params.resizeMax });
  } catch (error) {
    if (!(error instanceof ImageRejectedError)) throw error;
    countFailure(report, error.reason);
    await writer.skip({ label, imageUrl: origin.imageUrl, originalPath: origin.originalPath, reason: error.reason, detail: error.message, time: new Date().toISOString() });
    return false;
  }
  let outcome;
  if (params.faceCrop) {
    const crop = await cropLargestFace({ pixels: image.pixels, settings: params.faceCrop });
    if (!crop) {
      // Reported and remembered, never filed under the label: a picture without a face would teach the wrong thing.
      countFailure(report, NO_FACE_REASON);
      await writer.skip({ label, imageUrl: origin.imageUrl, originalPath: origin.originalPath, reason: NO_FACE_REASON, detail: `No face found (${params.faceCrop.detector} detector, score ≥ ${params.faceCrop.minScore}); the project crops faces, so the picture was not added.`, time: new Date().toISOString() });
      return false;
    }
    if (crop.placement.facesFound > 1) report.multipleFaces += 1;
    outcome = await writer.add(crop.image, label, origin, { picture: image, crop });
  } else {
    outcome = await writer.add(image, label, origin);
  }
  switch (outcome.status) {
    case "kept":
      report.kept += 1;
      if (outcome.similarTo) {
        report.similarAcrossLabels += 1;
        params.conflicts.push({ kind: "similar", label, source, file: outcome.record.file, otherLabel: outcome.similarTo.label, otherFile: outcome.similarTo.file });
      }
      break;
    case "duplicate":
      report.duplicates += 1;
      break;
    case "near-duplicate":
      report.nearDuplicates += 1;
      break;
    case "cross-category-duplicate":
      report.crossCategory += 1;
      params.conflicts.push({ kind: "same-pixels", label, source, otherLabel: outcome.duplicateOf.label, otherFile: outcome.duplicateOf.file });
      break;
    default: {
      const unreachable: never = outcome;
      void unreachable;
    }
  }
  return outcome.status === "kept";
}

export { describeConflict, describeIgnored } from "./describe-ingest";
