/** Turns "which backbone?" (an id, a path or a URL; from a param, the env or the default) into a full spec. */
import * as fs from "node:fs";
import * as path from "node:path";
import { StudioError } from "../shared/errors";
import { cacheDir as defaultCacheDir } from "./cache-dir";
import {
  DEFAULT_BACKBONE_ID,
  KNOWN_BACKBONES,
  type BackboneSource,
  type BackboneTap,
  type InputScaling,
  type KnownBackbone,
} from "./known-backbones";

/** Everything needed to load a backbone and turn images into features. */
export interface BackboneSpec {
  /** Table id, or the path/URL itself for a model the table does not know. */
  id: string;
  description: string;
  source: BackboneSource;
  inputSize: number;
  scaling: InputScaling;
  /** "auto": not known until the model is loaded (an unknown URL); load-backbone.ts picks them by name. */
  taps: BackboneTap[] | "auto";
  /** Cache folder downloads and written-out models go to. */
  cacheDir: string;
  /** True when the settings come from the table (or from metadata we wrote), not from guesses. */
  known: boolean;
  /** Set when a guess was made that the user should know about (shown by the CLI, logged by training). */
  warning?: string;
}

/** Environment variable naming the backbone when no explicit one is given. */
export const BACKBONE_ENV = "DEEPFAKE_STUDIO_BACKBONE";

/** Key of the block we put into a model.json's userDefinedMetadata so a written-out model describes itself. */
export const STUDIO_METADATA_KEY = "deepfakeStudio";

/** Self-description in userDefinedMetadata[STUDIO_METADATA_KEY]. */
export interface StudioModelMetadata {
  backboneId?: string;
  inputSize?: number;
  scaling?: InputScaling;
  taps?: BackboneTap[];
}

/** Defaults for a model we know nothing about: the Keras MobileNet convention. */
const UNKNOWN_INPUT_SIZE = 224;
const UNKNOWN_SCALING: InputScaling = { scale: 1 / 127.5, offset: -1 };

/** Tap layer families recognised by name in unknown models, tried in order; all layers of a family must exist. */
const TAP_FAMILIES: ReadonlyArray<{ name: string; taps: BackboneTap[] }> = [
  {
    name: "Keras MobileNetV2",
    taps: [
      { layer: "block_6_expand_relu", pooling: ["avg", "max"] },
      { layer: "block_13_expand_relu", pooling: ["avg", "max"] },
      { layer: "out_relu", pooling: ["avg"] },
    ],
  },
  {
    name: "Keras MobileNet (v1)",
    taps: [
      { layer: "conv_pw_5_relu", pooling: ["avg", "max"] },
      { layer: "conv_pw_11_relu", pooling: ["avg", "max"] },
      { layer: "conv_pw_13_relu", pooling: ["avg"] },
    ],
  },
  {
    name: "Keras ResNet50",
    taps: [
      { layer: "conv3_block4_out", pooling: ["avg", "max"] },
      { layer: "conv4_block6_out", pooling: ["avg", "max"] },
      { layer: "conv5_block3_out", pooling: ["avg"] },
    ],
  },
];

/**
 * Resolves the backbone to use. Precedence: `backbone` param > `DEEPFAKE_STUDIO_BACKBONE` > the default id.
 * The value may be a table id, a path to a model.json (or its folder), or an http(s) URL of a model.json.
 */
export function resolveBackbone(params: { backbone?: string; env?: NodeJS.ProcessEnv; cacheDir?: string } = {}): BackboneSpec {
  const env = params.env ?? process.env;
  const cache = params.cacheDir ?? defaultCacheDir({ env });
  const requested = params.backbone?.trim() || env[BACKBONE_ENV]?.trim() || DEFAULT_BACKBONE_ID;

  const known = KNOWN_BACKBONES.find((entry) => entry.id.toLowerCase() === requested.toLowerCase());
  if (known) return fromTable(known, known.source, cache);
  if (/^https?:\/\//i.test(requested)) return fromUrl(requested, cache);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(requested)) {
    throw new StudioError(`Unsupported backbone address "${requested}".`, "backbone-invalid", "Use a known id, a local path, or an http(s) URL of a tfjs model.json.");
  }
  return fromPath(requested, cache);
}

/** Picks tap layers by name; falls back to the output layer (the caller warns about that). */
export function findTaps(layerNames: readonly string[], outputLayer: string): { taps: BackboneTap[]; family?: string } {
  const names = new Set(layerNames);
  for (const family of TAP_FAMILIES) {
    if (family.taps.every((tap) => names.has(tap.layer))) return { taps: family.taps.map((tap) => ({ ...tap })), family: family.name };
  }
  return { taps: [{ layer: outputLayer, pooling: ["avg", "max"] }] };
}

/** A table row, possibly with its weights found somewhere else (a local copy, the cache). */
function fromTable(entry: KnownBackbone, source: BackboneSource, cache: string): BackboneSpec {
  return {
    id: entry.id,
    description: entry.description,
    source,
    inputSize: entry.inputSize,
    scaling: { ...entry.scaling },
    taps: entry.taps.map((tap) => ({ ...tap, pooling: [...tap.pooling] })),
    cacheDir: cache,
    known: true,
  };
}

/** An http(s) URL: a table row when it is one of ours, else defaults with taps chosen after loading. */
function fromUrl(requested: string, cache: string): BackboneSpec {
  // A folder URL means the model.json inside it, as tfjs hosting conventions go.
  const url = requested.endsWith("/") ? `${requested}model.json` : requested;
  const known = KNOWN_BACKBONES.find((entry) => entry.source.kind === "url" && entry.source.url === url);
  if (known) return fromTable(known, known.source, cache);
  return {
    id: url,
    description: `tfjs LayersModel downloaded from ${url}`,
    source: { kind: "url", url },
    inputSize: UNKNOWN_INPUT_SIZE,
    scaling: { ...UNKNOWN_SCALING },
    taps: "auto",
    cacheDir: cache,
    known: false,
    warning: `Unknown backbone ${url}: assuming a ${UNKNOWN_INPUT_SIZE}x${UNKNOWN_INPUT_SIZE} input scaled to [-1, 1] (Keras MobileNet convention); tap layers are chosen by name once it is loaded.`,
  };
}

/** A local model.json (or its folder): described by our own metadata or cache record when present, else guessed. */
function fromPath(requested: string, cache: string): BackboneSpec {
  const modelJsonPath = locateModelJson(requested);
  const modelJson = readModelJson(modelJsonPath);
  const source: BackboneSource = { kind: "file", path: modelJsonPath };

  const metadata = modelJson.userDefinedMetadata?.[STUDIO_METADATA_KEY] as StudioModelMetadata | undefined;
  const byMetadata = KNOWN_BACKBONES.find((entry) => entry.id === metadata?.backboneId);
  if (byMetadata) return fromTable(byMetadata, source, cache);
  // A folder our downloader filled remembers its URL, so `--backbone <cached folder>` keeps the table's settings.
  const downloadedFrom = readDownloadedUrl(path.dirname(modelJsonPath));
  const byUrl = KNOWN_BACKBONES.find((entry) => entry.source.kind === "url" && entry.source.url === downloadedFrom);
  if (byUrl) return fromTable(byUrl, source, cache);

  const layers = layerNamesOf(modelJson);
  const inputSize = metadata?.inputSize ?? inputSizeOf(modelJson) ?? UNKNOWN_INPUT_SIZE;
  const scaling = metadata?.scaling ?? { ...UNKNOWN_SCALING };
  const found = metadata?.taps ? { taps: metadata.taps, family: "model metadata" } : findTaps(layers, layers[layers.length - 1] ?? "");
  const guesses: string[] = [];
  if (!metadata?.scaling) guesses.push("input scaled to [-1, 1] (Keras MobileNet convention)");
  if (!metadata?.inputSize && inputSizeOf(modelJson) === undefined) guesses.push(`a ${UNKNOWN_INPUT_SIZE}x${UNKNOWN_INPUT_SIZE} input`);
  guesses.push(found.family ? `taps from ${found.family} layer names (${found.taps.map((tap) => tap.layer).join(", ")})` : `no known tap layer names, so only the last layer "${found.taps[0]?.layer}" is used (expect weaker features)`);
  return {
    id: modelJsonPath,
    description: `tfjs LayersModel at ${modelJsonPath}`,
    source,
    inputSize,
    scaling,
    taps: found.taps,
    cacheDir: cache,
    known: false,
    warning: `Unknown backbone ${modelJsonPath}: assuming ${guesses.join("; ")}.`,
  };
}

/** Accepts a model.json path or the folder holding it. */
function locateModelJson(requested: string): string {
  const resolved = path.resolve(requested);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(resolved);
  } catch {
    const ids = KNOWN_BACKBONES.map((entry) => entry.id).join(", ");
    throw new StudioError(`Backbone "${requested}" is neither a known id nor an existing path.`, "backbone-not-found", `Known ids: ${ids}. Or pass a tfjs model.json (or its folder), or an http(s) URL.`);
  }
  const candidate = stat.isDirectory() ? path.join(resolved, "model.json") : resolved;
  if (!fs.existsSync(candidate)) {
    throw new StudioError(`No model.json in ${resolved}.`, "backbone-not-found", [
      { cliOnly: "Point --backbone" },
      { editorOnly: "Point train.backbone in deepfake-studio.json" },
      " at a tfjs LayersModel folder (model.json + weight shards) or its model.json.",
    ]);
  }
  return candidate;
}

/** The parts of a tfjs model.json we read. */
interface ModelJsonLike {
  modelTopology?: { model_config?: { config?: unknown }; config?: unknown };
  userDefinedMetadata?: Record<string, unknown>;
}

/** Reads and parses a model.json with an error that names the file. */
function readModelJson(modelJsonPath: string): ModelJsonLike {
  try {
    return JSON.parse(fs.readFileSync(modelJsonPath, "utf8")) as ModelJsonLike;
  } catch (error) {
    throw new StudioError(`${modelJsonPath} is not a readable tfjs model.json: ${(error as Error).message}`, "backbone-invalid", "Re-export the model with tensorflowjs_converter (tfjs_layers_model format).");
  }
}

/** The URL recorded by download-model.ts in integrity.json, if this folder is one of its downloads. */
function readDownloadedUrl(folder: string): string | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(path.join(folder, "integrity.json"), "utf8")) as { url?: unknown };
    return typeof record.url === "string" ? record.url : undefined;
  } catch {
    return undefined;
  }
}

/** Layer configs of a Keras functional or sequential topology (both shapes occur in tfjs model.json files). */
function layerConfigsOf(modelJson: ModelJsonLike): Array<{ class_name?: string; name?: string; config?: { name?: string; batch_input_shape?: unknown } }> {
  const topology = modelJson.modelTopology;
  const config = (topology?.model_config?.config ?? topology?.config) as { layers?: unknown } | unknown[] | undefined;
  const layers = Array.isArray(config) ? config : config?.layers;
  return Array.isArray(layers) ? (layers as ReturnType<typeof layerConfigsOf>) : [];
}

/** Layer names in topology order. */
function layerNamesOf(modelJson: ModelJsonLike): string[] {
  return layerConfigsOf(modelJson)
    .map((layer) => layer.config?.name ?? layer.name)
    .filter((name): name is string => typeof name === "string");
}

/** The square input side declared by the first layer, when it is fixed. */
function inputSizeOf(modelJson: ModelJsonLike): number | undefined {
  for (const layer of layerConfigsOf(modelJson)) {
    const shape = layer.config?.batch_input_shape;
    if (!Array.isArray(shape)) continue;
    const [, height, width] = shape as unknown[];
    return typeof height === "number" && height === width ? height : undefined;
  }
  return undefined;
}
