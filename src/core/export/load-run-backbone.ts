/** Loads exactly the backbone a run was trained on, and proves it is the same one (sha256 of its model.json). */
import { existsSync } from "node:fs";
import { featureLength } from "../backbone/extract-features-tfjs";
import { loadBackbone, type LoadedBackbone } from "../backbone/load-backbone";
import { resolveBackbone, type BackboneSpec } from "../backbone/resolve-backbone";
import { StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import type { RunHead } from "../train/run-files";
import { ExportError } from "./export-errors";

/** Parameters of loadRunBackbone. */
export interface LoadRunBackboneParams extends OperationOptions {
  head: RunHead;
  /** Where the cache folder and proxy settings are read; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Resolves head.backbone (location first; an offline backbone missing from this cache is re-created from nsfwjs),
 * loads it with the head's taps and input scaling, and checks sha256 and feature length against the head.
 */
export async function loadRunBackbone(params: LoadRunBackboneParams): Promise<LoadedBackbone> {
  const { head } = params;
  const spec = withRunSettings(resolveRunSpec(head, params.env), head);
  let backbone: LoadedBackbone;
  try {
    backbone = await loadBackbone({ spec, env: params.env, signal: params.signal, onProgress: params.onProgress });
  } catch (error) {
    throw unavailable(head, error);
  }
  try {
    throwIfAborted(params.signal, "export");
    const actual = backbone.source.modelJsonSha256;
    if (actual !== head.backbone.modelJsonSha256) {
      throw new ExportError(
        `The backbone at ${backbone.source.modelJsonPath} is not the one this run was trained on: its model.json has sha256 ${actual}, the run recorded ${head.backbone.modelJsonSha256}. The head would be applied to different features.`,
        "backbone-mismatch",
        ["Restore the exact backbone the run used (same files), or train again with the current one (", { step: "train" }, ") and export that run."],
      );
    }
    // The blending statistics are measured outside the backbone and appended to its features.
    const length = featureLength(backbone) + (head.preprocess.blendStatistics?.count ?? 0);
    if (length !== head.featureLength) {
      throw new ExportError(`The backbone's taps give ${length} features but the run's head expects ${head.featureLength}.`, "backbone-mismatch",
        "The run's head.json does not fit its own backbone; train again and export that run.");
    }
    return backbone;
  } catch (error) {
    backbone.dispose();
    throw error;
  }
}

/** The spec for head.backbone: by location (URL or model.json path); an offline one by id when its file is gone. */
function resolveRunSpec(head: RunHead, env: NodeJS.ProcessEnv | undefined): BackboneSpec {
  const { kind, location, id } = head.backbone;
  // The offline backbone is written from the nsfwjs package on demand, so another cache folder is fine (the sha256 check still holds).
  const requested = kind === "offline" && !existsSync(location) ? id : location;
  try {
    return resolveBackbone({ backbone: requested, env });
  } catch (error) {
    throw unavailable(head, error);
  }
}

/** The head's taps, input size and scaling win over the table: they are what training actually used. */
function withRunSettings(spec: BackboneSpec, head: RunHead): BackboneSpec {
  const [height, width] = head.preprocess.size;
  if (height !== width) {
    throw new ExportError(`The run's input size is ${height}x${width}; only square backbone inputs are supported.`, "run-invalid", "Train again; the trainer records the backbone's square input size.");
  }
  return {
    ...spec,
    inputSize: height,
    scaling: { ...head.preprocess.scaling },
    // Face contrasts come after the backbone's own taps, as training appends them.
    taps: [...head.backbone.taps, ...(head.preprocess.faceContrast?.taps ?? [])].map((tap) => ({ layer: tap.layer, pooling: [...tap.pooling] })),
    // The head fixes these settings, so the resolver's guesses (and their warning) do not apply.
    warning: undefined,
  };
}

/** Wraps "cannot get the backbone" into an error that names the run's backbone and keeps the cause's hint. */
function unavailable(head: RunHead, error: unknown): Error {
  if (error instanceof ExportError || (error instanceof StudioError && error.code === "cancelled")) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const hint = error instanceof StudioError && error.hint ? `${error.hint} ` : "";
  return new ExportError(
    `The backbone this run was trained on (${head.backbone.id}, ${head.backbone.location}) is not available: ${reason}`,
    "backbone-unavailable",
    `${hint}The export needs the very same backbone files (sha256 ${head.backbone.modelJsonSha256.slice(0, 12)}…).`,
  );
}
