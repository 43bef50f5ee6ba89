/**
 * The example pictures Create Space would pick on its own, without writing anything: a front end shows them first
 * (they will be public with the Space) and lets the user keep some, none, or others (createSpace's `examples`).
 */
import * as path from "node:path";
import { loadExport } from "../predict/load-export";
import { loadProjectConfig, resolveDataDir } from "../project/project-config";
import { pickExamples, type PickExamplesResult } from "./pick-examples";
import type { SpaceSdk } from "./space-sdk";

export interface PreviewSpaceExamplesParams {
  projectDir: string;
  /** Default: <projectDir>/export. */
  exportDir?: string;
  /** Default "static": its page crops faces itself, so a face-crop model's examples are whole pictures. */
  sdk?: SpaceSdk;
  /** Default 3, at least one per class (as createSpace). */
  exampleCount?: number;
}

/** What createSpace would choose as examples when given none (same rules, same order). */
export async function previewSpaceExamples(params: PreviewSpaceExamplesParams): Promise<PickExamplesResult> {
  const projectDir = path.resolve(params.projectDir);
  const config = await loadProjectConfig(projectDir);
  const exported = await loadExport({ modelDir: path.resolve(params.exportDir ?? path.join(projectDir, "export")) });
  const faceCropsOnly = exported.preprocess.faceCrop !== undefined;
  return pickExamples({
    projectDir,
    dataDir: resolveDataDir(projectDir, config),
    labels: exported.labels,
    runId: exported.metadata.run_id,
    count: Math.max(params.exampleCount ?? 3, exported.labels.length),
    faceCropsOnly,
    wholePictures: faceCropsOnly && (params.sdk ?? "static") === "static",
  });
}
