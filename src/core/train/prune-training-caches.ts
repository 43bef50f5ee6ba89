/**
 * After training, the caches it fills lose the entries of pictures that left the dataset (one policy for all,
 * shared/prune-content-cache.ts): the backbone's feature vectors, and the same-person fakes, face records and
 * blending statistics and face contrasts made from the pictures.
 */
import { pruneContentCache } from "../shared/prune-content-cache";
import type { OperationOptions } from "../shared/progress";
import { synthesisCacheRoot } from "../synthesize/synthesize-fakes";
import { blendStatisticsCacheRoot } from "./blend-statistics-rows";
import { faceContrastCacheRoot } from "./face-contrast-rows";

/** Parameters of pruneTrainingCaches. */
export interface PruneTrainingCachesParams extends Pick<OperationOptions, "onProgress"> {
  projectDir: string;
  /** This backbone configuration's feature cache folder. */
  featureDir: string;
  /** Cache key of every picture this training used (features, blending statistics): its content, or its crop made at training. */
  keys: ReadonlySet<string>;
  /** sha256 of every picture file this training used (same-person fakes and face records are keyed by the file). */
  contents: ReadonlySet<string>;
}

/** Prunes the four caches; gives back what left the feature cache (the run record counts it). */
export async function pruneTrainingCaches(params: PruneTrainingCachesParams): Promise<{ files: number; bytes: number }> {
  const { keys, contents, onProgress } = params;
  const features = await pruneContentCache({ dir: params.featureDir, keep: keys });
  if (features.files > 0) onProgress?.({ event: "phase", phase: "features", message: `Removed ${features.files} cached feature vector(s) (${megabytes(features.bytes)} MB) of images no longer in the dataset.` });
  const synthesized = await pruneContentCache({ dir: synthesisCacheRoot(params.projectDir), keep: contents });
  const statistics = await pruneContentCache({ dir: blendStatisticsCacheRoot(params.projectDir), keep: keys });
  const contrasts = await pruneContentCache({ dir: faceContrastCacheRoot(params.projectDir), keep: keys });
  const files = synthesized.files + statistics.files + contrasts.files;
  if (files > 0) onProgress?.({ event: "phase", phase: "features", message: `Removed ${files} cached same-person fake(s), face record(s), blending statistics and face contrasts (${megabytes(synthesized.bytes + statistics.bytes + contrasts.bytes)} MB) of images no longer in the dataset.` });
  return features;
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}
