/**
 * The files of an export folder and their schemas: the one place both the writer (export) and the reader (predict,
 * the Space) agree on. An export is data only (ONNX + JSON + Markdown); nothing in it is ever executed.
 */
import { z } from "zod";
import { BLEND_STATISTICS_COUNTS } from "../face-features/blend-statistics";
import { FACE_REGIONS_VERSION } from "../face-features/face-regions";
import { TEST_TIME_RECIPE } from "../shared/test-time-views";
import type { Preprocess } from "../train/run-files";

/** File names inside an export folder. */
export const EXPORT_FILES = {
  model: "model.onnx",
  labels: "labels.json",
  preprocess: "preprocess.json",
  readme: "README.md",
  metrics: "metrics.json",
} as const;

/**
 * Written by export into every export folder (and nothing else writes it): the one sign that a later export may
 * replace the folder. A folder without it is someone's, whatever it holds (a Space folder holds a model.onnx too).
 */
export const EXPORT_MARKER = ".deepfake-studio-export.json";

/** The marker's content. */
export interface ExportMarker {
  generator: "deepfake-studio";
  kind: "export";
  format: 1;
  runId: string;
  exportedAt: string;
}

/** ONNX metadata_props keys the exporter adds (next to convertLayersModel's own "labels" and "preprocessing"). */
export const EXPORT_METADATA_KEYS = {
  labels: "labels",
  preprocess: "preprocess",
  backboneId: "backbone_id",
  backboneKind: "backbone_kind",
  backboneSha256: "backbone_model_json_sha256",
  runId: "run_id",
  exportedAt: "exported_at",
  decision: "decision_threshold",
} as const;

/** Class names in output order: unique, non-empty, at least two (one class is not a detector). */
export const labelsSchema = z
  .array(z.string().trim().min(1, "a label must not be empty").max(200, "a label must be at most 200 characters"))
  .min(2, "needs at least two labels")
  .max(1000, "has more than 1000 labels")
  .refine((labels) => new Set(labels).size === labels.length, "has the same label twice");

const positiveSide = z.number().int().min(8).max(4096);

/** preprocess.json: exactly the run's head.preprocess (src/core/train/run-files.ts, type Preprocess). */
export const preprocessSchema = z
  .object({
    size: z.tuple([positiveSide, positiveSide]),
    resize: z.literal("squish"),
    kernel: z.enum(["linear", "lanczos3", "cubic", "nearest"]),
    channels: z.literal("RGB"),
    range: z.tuple([z.literal(0), z.literal(255)]),
    layout: z.literal("NHWC"),
    scaling: z.object({ scale: z.number().finite(), offset: z.number().finite() }).strict(),
    normalize: z.object({ mean: z.array(z.number().finite()).length(3), std: z.array(z.number().finite().positive()).length(3) }).strict().optional(),
    faceCrop: z
      .object({
        detector: z.enum(["accurate", "fast"]),
        minScore: z.number().min(0).max(1),
        resizeMax: z.number().int().min(64).max(4096),
        margin: z.number().min(1).max(4),
        size: z.number().int().min(32).max(1024),
        jpegQuality: z.number().int().min(1).max(100),
        select: z.literal("largest"),
      })
      .strict()
      .optional(),
    blendStatistics: z
      .object({
        version: z.number().int(),
        count: z.number().int(),
        missing: z.array(z.number().finite()),
      })
      .strict()
      .refine((value) => BLEND_STATISTICS_COUNTS[value.version] === value.count && value.missing.length === value.count,
        `must be version ${Object.keys(BLEND_STATISTICS_COUNTS).join(" or ")} with ${Object.values(BLEND_STATISTICS_COUNTS).join(" or ")} numbers respectively (this studio measures no other blending statistics)`)
      .optional(),
    faceContrast: z
      .object({
        version: z.number().int().refine((value): boolean => value === FACE_REGIONS_VERSION, `must be ${FACE_REGIONS_VERSION} (this studio computes no other face regions)`),
        grid: z.number().int().min(1).max(1024),
        count: z.number().int().min(1),
        taps: z.array(z.object({ layer: z.string().min(1), pooling: z.array(z.literal("face-contrast")).min(1) }).strict()).min(1),
      })
      .strict()
      .optional(),
    testTimeViews: z
      .object({
        recipe: z.literal(TEST_TIME_RECIPE),
        views: z.array(z.object({ flip: z.boolean(), zoom: z.number().gt(0).max(1) }).strict()).min(1).max(16),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * preprocess.json `decision` (optional): the fake label is decided when its probability is at or above `threshold`,
 * instead of by the largest probability. Recorded by `export --threshold` or `--max-fpr`; absent, the arg-max decides.
 */
export const decisionSchema = z
  .object({
    label: z.string().trim().min(1).max(200),
    threshold: z.number().gt(0, "must be above 0").lt(1, "must be below 1"),
    /**
     * "given": typed by the user; "max-fpr": read off an evaluation for a target false-positive rate; "held-out-reals":
     * set by training on its validation real pictures (models of synthesized fakes only, train/held-out-threshold.ts).
     */
    method: z.enum(["given", "max-fpr", "held-out-reals"]),
    maxFpr: z.number().min(0).lt(1).optional(),
    /** The evaluation it was read from: its folder name, when it ran, and what the threshold achieved there. */
    evaluation: z
      .object({
        name: z.string().min(1).max(200),
        createdAt: z.string().min(1).max(100),
        pictures: z.number().int().min(0),
        fpr: z.number().min(0).max(1),
        /** Absent when the evaluation held real pictures only (a threshold set on real footage alone). */
        tpr: z.number().min(0).max(1).optional(),
      })
      .strict()
      .optional(),
    /** "held-out-reals": how many validation real pictures it was set on, and the share of them it flags. */
    validation: z.object({ realPictures: z.number().int().min(1), fpr: z.number().min(0).max(1) }).strict().optional(),
  })
  .strict();

export type DecisionThreshold = z.infer<typeof decisionSchema>;

/** preprocess.json as an export writes it: the run's preprocessing, plus the decision threshold when one was chosen. */
export const exportPreprocessSchema = preprocessSchema.extend({ decision: decisionSchema.optional() }).strict();

// Compile-time check that the schema and the run-file contract describe the same object.
type SchemaPreprocess = z.infer<typeof preprocessSchema>;
const sameShape: [SchemaPreprocess, Preprocess] extends [Preprocess, SchemaPreprocess] ? true : never = true;
void sameShape;

/** Turns the first zod issue into "field "x" must be …" for error messages. */
export function describeSchemaIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const field = issue.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`)).join("").replace(/^\./, "") || "(root)";
  if (issue.code === "unrecognized_keys") return `field "${field}" has unknown key(s) ${issue.keys.map((key) => `"${key}"`).join(", ")}`;
  if (issue.code === "invalid_type") return `field "${field}" ${issue.received === "undefined" ? "is required" : `must be ${issue.expected}, not ${issue.received}`}`;
  return `field "${field}" ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}`;
}
