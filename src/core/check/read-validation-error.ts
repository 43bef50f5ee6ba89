/** The export's validation error rate (export/metrics.json), which every verdict quotes so no score is read as proof. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { EXPORT_FILES } from "../export/export-format";

/** How often the model was wrong on its held-out images, and on how many. */
export interface ValidationError {
  errorRate: number;
  validImages?: number;
}

/** Reads `<modelDir>/metrics.json`; undefined when it is missing or unreadable (older or hand-made exports), which the verdict then says. */
export async function readValidationError(params: { modelDir: string }): Promise<ValidationError | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(path.join(params.modelDir, EXPORT_FILES.metrics), "utf8"));
  } catch {
    return undefined;
  }
  const metrics = raw as { errorRate?: unknown; counts?: { valid?: Record<string, unknown> } };
  if (typeof metrics.errorRate !== "number" || !Number.isFinite(metrics.errorRate) || metrics.errorRate < 0 || metrics.errorRate > 1) return undefined;
  const counts = Object.values(metrics.counts?.valid ?? {}).filter((value): value is number => typeof value === "number" && Number.isFinite(value));
  return { errorRate: metrics.errorRate, ...(counts.length > 0 ? { validImages: counts.reduce((sum, value) => sum + value, 0) } : {}) };
}
