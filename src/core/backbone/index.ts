/** Public API of the backbone capability: which backbone, getting it onto disk, loading it, image → features. */
export { cacheDir } from "./cache-dir";
export { downloadModel, type DownloadModelParams, type DownloadModelResult, type FetchLike, type FetchResponseLike } from "./download-model";
export { extractFeaturesTfjs, featureLength, type ImageBatch } from "./extract-features-tfjs";
export {
  DEFAULT_BACKBONE_ID,
  KNOWN_BACKBONES,
  OFFLINE_BACKBONE_ID,
  type BackboneSource,
  type BackboneTap,
  type InputScaling,
  type KnownBackbone,
  type TapPooling,
} from "./known-backbones";
export { loadBackbone, type BackboneProvenance, type LoadBackboneParams, type LoadedBackbone, type LoadedBackboneSpec } from "./load-backbone";
export { BACKBONE_ENV, findTaps, resolveBackbone, STUDIO_METADATA_KEY, type BackboneSpec, type StudioModelMetadata } from "./resolve-backbone";
export { writeOfflineBackbone } from "./write-offline-backbone";
