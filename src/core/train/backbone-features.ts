/**
 * The frozen backbone as a feature extractor: its tap graph is converted to ONNX once and cached next to the
 * backbone (keyed by the model.json sha256, taps, input size and scaling), then run with onnxruntime-node
 * (~10x faster than tfjs-wasm). When everything is cached, neither TensorFlow.js nor the weights are loaded.
 */
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { downloadModel, type FetchLike } from "../backbone/download-model";
import { extractFeaturesTfjs, featureLength as tfjsFeatureLength } from "../backbone/extract-features-tfjs";
import { FACE_CONTRAST_TAPS, FACE_REGION_TAPS, isFaceContrast, type BackboneTap, type InputScaling } from "../backbone/known-backbones";
import { loadBackbone, type LoadedBackbone } from "../backbone/load-backbone";
import { resolveBackbone, type BackboneSpec } from "../backbone/resolve-backbone";
import { writeOfflineBackbone } from "../backbone/write-offline-backbone";
import { convertLayersModel } from "../onnx/convert-layers-model";
import { faceRegionGrid } from "../face-features/face-regions";
import { OnnxExportError } from "../onnx/onnx-errors";
import { createOnnxSession, runOnnx, type OnnxSession } from "../onnx/onnx-session";
import { describeFsError, StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import type { RunBackbone } from "./run-files";

/** Bump when the exported feature graph changes meaning, so old .onnx files are not reused. */
const FEATURE_GRAPH_VERSION = 1;

/** What a feature vector is, fixed before any image is run. */
export interface BackboneFeatureInfo {
  /** Names this exact feature function (weights, taps, input size, scaling); part of the feature cache key. */
  key: string;
  featureLength: number;
  inputSize: number;
  scaling: InputScaling;
  taps: BackboneTap[];
  /** What head.json records. */
  backbone: RunBackbone;
  description: string;
  /** Guesses the user should know about (an unknown backbone) or a slower fallback. */
  warning?: string;
}

/** An open extractor; `extract` starts ONNX Runtime (or the tfjs fallback) on first use. */
export interface BackboneFeatures {
  info: BackboneFeatureInfo;
  /** True when this call converted the graph (and the loader already reported info.warning as it loaded). */
  converted: boolean;
  /** `count` NHWC RGB 0..255 images of inputSize² → count × featureLength numbers; face-contrast taps also read the faces' region masks. */
  extract(images: Float32Array, count: number, faceRegions?: Float32Array): Promise<Float32Array>;
  release(): Promise<void>;
}

/** Parameters of openBackboneFeatures. */
export interface OpenBackboneFeaturesParams extends OperationOptions {
  /** Id, model.json path/folder or URL; else DEEPFAKE_STUDIO_BACKBONE, else the default backbone. */
  backbone?: string;
  env?: NodeJS.ProcessEnv;
  fetch?: FetchLike;
  /** Add the inner-face taps (FACE_REGION_TAPS) when the backbone has those layers: for face crops only. */
  faceRegion?: boolean;
  /** Only the face-contrast taps (FACE_CONTRAST_TAPS), whose graph also takes the faces' region masks. */
  faceContrast?: boolean;
}

/** Sidecar written after the .onnx file: its presence says the conversion finished. */
interface OnnxRecord {
  version: number;
  onnxSha256: string;
  featureLength: number;
  inputSize: number;
  scaling: InputScaling;
  taps: BackboneTap[];
  warning?: string;
  createdAt: string;
}

/** Resolves and (if needed) fetches the backbone, and makes sure its ONNX feature graph is in the cache. */
export async function openBackboneFeatures(params: OpenBackboneFeaturesParams): Promise<BackboneFeatures> {
  const resolved = resolveBackbone({ backbone: params.backbone, env: params.env });
  const spec = params.faceContrast ? withFaceContrastTaps(resolved) : params.faceRegion ? withFaceRegionTaps(resolved) : resolved;
  const modelJsonPath = await materialise(spec, params);
  throwIfAborted(params.signal, "training");
  const modelJsonSha256 = createHash("sha256").update(await readOrExplain(modelJsonPath)).digest("hex");
  const key = `${slug(spec)}-${createHash("sha256").update(JSON.stringify({ v: FEATURE_GRAPH_VERSION, modelJsonSha256, taps: spec.taps, inputSize: spec.inputSize, scaling: spec.scaling })).digest("hex").slice(0, 16)}`;
  const onnxPath = path.join(spec.cacheDir, "onnx", `${key}.onnx`);
  const recordPath = `${onnxPath}.json`;

  let record = await readRecord(recordPath);
  let loaded: LoadedBackbone | undefined;
  let fallback: string | undefined;
  const converted = !record;
  if (!record) {
    ({ record, loaded, fallback } = await convert({ spec, onnxPath, recordPath, params }));
  }
  const info: BackboneFeatureInfo = {
    key,
    featureLength: record.featureLength,
    inputSize: record.inputSize,
    scaling: record.scaling,
    taps: record.taps,
    backbone: { id: spec.id, kind: spec.source.kind, location: spec.source.kind === "url" ? spec.source.url : modelJsonPath, modelJsonSha256, taps: record.taps },
    description: spec.description,
    warning: [record.warning, fallback].filter(Boolean).join(" ") || undefined,
  };

  let session: OnnxSession | undefined;
  const checkedRecord = record;
  return {
    info,
    converted,
    async extract(images, count, faceRegions) {
      if (count === 0) return new Float32Array(0);
      let features: Float32Array;
      if (loaded && fallback) {
        features = await extractFeaturesTfjs(loaded, { data: images, count, regions: faceRegions });
      } else {
        session ??= await openSession(onnxPath, checkedRecord);
        const outputs = await runOnnx(session, images, count, info.inputSize, info.inputSize, { faceRegions });
        if (!outputs.features) throw new StudioError("The cached ONNX feature graph has no `features` output.", "backbone-invalid", `Delete ${onnxPath} and train again to rebuild it.`);
        features = outputs.features;
      }
      if (features.length !== count * info.featureLength) {
        throw new StudioError(`The backbone returned ${features.length / count} features per image, expected ${info.featureLength}.`, "backbone-invalid", `Delete ${onnxPath}(.json) and train again to rebuild it.`);
      }
      return features;
    },
    async release() {
      await session?.release();
      session = undefined;
      loaded?.dispose();
      loaded = undefined;
    },
  };
}

/** Makes sure the model is on disk without loading it (same places load-backbone.ts uses). */
async function materialise(spec: BackboneSpec, params: OpenBackboneFeaturesParams): Promise<string> {
  switch (spec.source.kind) {
    case "file":
      return spec.source.path;
    case "offline":
      return writeOfflineBackbone({ cacheDir: spec.cacheDir });
    case "url":
      return (await downloadModel({ url: spec.source.url, cacheDir: spec.cacheDir, name: spec.known ? spec.id : undefined, env: params.env, fetch: params.fetch, signal: params.signal, onProgress: params.onProgress })).modelJsonPath;
    default: {
      const unreachable: never = spec.source;
      throw new Error(`Unknown backbone source ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * The spec with the inner-face poolings added to its taps (a layer already tapped gets the extra poolings, so each
 * layer is read once). A backbone whose taps are chosen only after loading, or that lacks those layers, is kept as
 * it is: the window is only known to be the inner face for MobileNetV2's strides.
 */
export function withFaceRegionTaps(spec: BackboneSpec): BackboneSpec {
  if (spec.taps === "auto" || !spec.taps.some((tap) => tap.layer === "block_6_expand_relu")) return spec;
  const taps = spec.taps.map((tap) => ({ ...tap, pooling: [...tap.pooling] }));
  for (const extra of FACE_REGION_TAPS) {
    const same = taps.find((tap) => tap.layer === extra.layer);
    if (same) same.pooling.push(...extra.pooling.filter((pooling) => !same.pooling.includes(pooling)));
    else taps.unshift({ layer: extra.layer, pooling: [...extra.pooling] });
  }
  return { ...spec, taps };
}

/**
 * The spec with only the face-contrast taps (one vector per face, measured once per picture like the blending
 * statistics). A backbone without those layers cannot give them: said in words, since the project asked for them.
 */
export function withFaceContrastTaps(spec: BackboneSpec): BackboneSpec {
  if (spec.taps === "auto" || !spec.taps.some((tap) => tap.layer === "block_6_expand_relu")) {
    throw new StudioError(`The backbone ${spec.id} has no MobileNetV2 expand layers, which train.faceContrast reads.`, "backbone-invalid", "Set train.faceContrast to false in deepfake-studio.json, or train with a MobileNetV2 backbone.");
  }
  return { ...spec, taps: FACE_CONTRAST_TAPS.map((tap) => ({ ...tap, pooling: [...tap.pooling] })) };
}

/**
 * Loads the backbone in tfjs and writes its tap graph as ONNX (then the sidecar). If the exporter does not
 * support one of the model's layers, keeps the tfjs model and extracts with it instead, with a warning.
 */
async function convert(args: { spec: BackboneSpec; onnxPath: string; recordPath: string; params: OpenBackboneFeaturesParams }): Promise<{ record: OnnxRecord; loaded?: LoadedBackbone; fallback?: string }> {
  const { spec, onnxPath, recordPath, params } = args;
  const loaded = await loadBackbone({ spec, signal: params.signal, onProgress: params.onProgress, env: params.env, fetch: params.fetch });
  try {
    throwIfAborted(params.signal, "training");
    const base = { version: FEATURE_GRAPH_VERSION, featureLength: tfjsFeatureLength(loaded), inputSize: loaded.spec.inputSize, scaling: loaded.spec.scaling, taps: loaded.spec.taps, warning: loaded.spec.warning, createdAt: new Date().toISOString() };
    params.onProgress?.({ event: "phase", phase: "backbone", message: `Converting ${spec.id} to ONNX for fast feature extraction (once per backbone)` });
    let bytes: Uint8Array;
    try {
      bytes = await convertLayersModel({
        model: loaded.model,
        outputs: loaded.spec.taps.map((tap) => ({ layerName: tap.layer, pooling: tap.pooling })),
        input: { height: loaded.spec.inputSize, width: loaded.spec.inputSize, scale: loaded.spec.scaling.scale, offset: loaded.spec.scaling.offset },
        ...(loaded.spec.taps.some((tap) => tap.pooling.some(isFaceContrast)) ? { faceRegions: { grid: faceRegionGrid(loaded.spec.inputSize), docString: "Each face's inner-face and ring masks." } } : {}),
        metadata: { backbone: spec.id },
      });
    } catch (error) {
      if (!(error instanceof OnnxExportError)) throw error;
      const fallback = `The backbone could not be converted to ONNX (${error.message}); extracting features with TensorFlow.js instead, about 10x slower.`;
      params.onProgress?.({ event: "warning", message: fallback });
      return { record: { ...base, onnxSha256: "" }, loaded, fallback };
    }
    const record: OnnxRecord = { ...base, onnxSha256: createHash("sha256").update(bytes).digest("hex") };
    await writeAtomic(onnxPath, bytes);
    await writeAtomic(recordPath, Buffer.from(`${JSON.stringify(record, null, 2)}\n`));
    loaded.dispose();
    return { record };
  } catch (error) {
    loaded.dispose();
    throw error;
  }
}

/** Opens the cached graph after checking it is the one the sidecar describes. */
async function openSession(onnxPath: string, record: OnnxRecord): Promise<OnnxSession> {
  const bytes = await readOrExplain(onnxPath);
  if (createHash("sha256").update(bytes).digest("hex") !== record.onnxSha256) {
    await fs.rm(`${onnxPath}.json`, { force: true });
    throw new StudioError(`The cached ONNX feature graph ${onnxPath} is damaged.`, "backbone-invalid", "Run the command again: it is rebuilt from the backbone.");
  }
  return createOnnxSession(bytes);
}

/** The sidecar, or undefined when absent, unreadable or from another version (then the graph is rebuilt). */
async function readRecord(recordPath: string): Promise<OnnxRecord | undefined> {
  try {
    const record = JSON.parse(await fs.readFile(recordPath, "utf8")) as OnnxRecord;
    if (record.version !== FEATURE_GRAPH_VERSION || !(record.featureLength > 0) || !record.onnxSha256) return undefined;
    await fs.access(recordPath.replace(/\.json$/, ""));
    return record;
  } catch {
    return undefined;
  }
}

/** A readable folder-name prefix for the key: the table id, or "custom" for paths and URLs. */
function slug(spec: BackboneSpec): string {
  return spec.known ? spec.id.replace(/[^A-Za-z0-9._-]/g, "_") : "custom";
}

async function readOrExplain(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    throw new StudioError(`Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, "backbone-invalid", "Check the backbone folder, or delete the cache folder and run again.");
  }
}

/** Temp name + rename, so a crash never leaves a half-written graph under the final name. */
async function writeAtomic(target: string, data: Uint8Array): Promise<void> {
  const temp = `${target}.${randomBytes(6).toString("hex")}.part`;
  try {
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(temp, data);
    await fs.rename(temp, target);
  } catch (error) {
    throw describeFsError(error, target);
  } finally {
    await fs.rm(temp, { force: true });
  }
}
