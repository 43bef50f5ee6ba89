/** The shortcut audit every engine runs on its training pictures (src/core/audit); a failure to measure never fails a run. */
import * as path from "node:path";
import { auditShortcuts, type ShortcutAudit } from "../audit/audit-shortcuts";
import { CancelledError } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { STUDIO_STATE_FOLDER } from "./feature-cache";

/** Where a project's face descriptors are cached: the audit after training and the self-blend choice before it share them. */
export function identityCacheDir(projectDir: string): string {
  return path.join(projectDir, STUDIO_STATE_FOLDER, "identity");
}

/** Audits the pictures; warnings go to onProgress; undefined when there is nothing to compare or it could not run. */
export async function auditTrainingPictures(params: OperationOptions & { projectDir: string; labels: string[]; fakeLabel?: string; pictures: Array<{ file: string; label: string; sha256: string }>; seed: number }): Promise<ShortcutAudit | undefined> {
  if (params.labels.length < 2) return undefined;
  try {
    const audit = await auditShortcuts({
      cacheDir: identityCacheDir(params.projectDir),
      labels: params.labels,
      fakeLabel: params.fakeLabel,
      pictures: params.pictures,
      seed: params.seed,
      onProgress: params.onProgress,
      signal: params.signal,
    });
    for (const warning of audit.warnings) params.onProgress?.({ event: "warning", message: warning });
    return audit;
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    params.onProgress?.({ event: "warning", message: `The shortcut audit could not run (${(error as Error).message}); the run is kept without it.` });
    return undefined;
  }
}
