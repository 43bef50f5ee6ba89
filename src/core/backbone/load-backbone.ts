/**
 * THE backbone loader: every backbone (downloaded, written-out offline, or a local folder) goes through the same
 * file IOHandler, and comes back with a feature model whose outputs are the spec's tap layers.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type * as Tfjs from "@tensorflow/tfjs";
import { StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { loadTensorflow } from "../shared/tensorflow";
import { downloadModel, type FetchLike } from "./download-model";
import type { BackboneSource, BackboneTap } from "./known-backbones";
import { findTaps, type BackboneSpec } from "./resolve-backbone";
import { writeOfflineBackbone } from "./write-offline-backbone";

/** A spec whose taps and input size are final (after loading, "auto" taps are chosen). */
export type LoadedBackboneSpec = BackboneSpec & { taps: BackboneTap[] };

/** Where the weights actually came from; every trained model records this so its features can be reproduced. */
export interface BackboneProvenance {
  backboneId: string;
  kind: BackboneSource["kind"];
  /** The URL for a download, else the model.json path. */
  location: string;
  /** The model.json the weights were read from (inside the cache for downloads and the offline backbone). */
  modelJsonPath: string;
  /** sha256 (hex) of that model.json's bytes. */
  modelJsonSha256: string;
}

/** A loaded backbone, ready for extract-features-tfjs.ts. */
export interface LoadedBackbone {
  spec: LoadedBackboneSpec;
  model: Tfjs.LayersModel;
  /** Same weights as `model`; outputs = the tapped layers, each once, in the order they are first tapped. */
  featureModel: Tfjs.LayersModel;
  /** Per tap in spec.taps: its output's index in featureModel (a layer tapped twice, e.g. for face contrasts, is one output). */
  tapOutputs: number[];
  source: BackboneProvenance;
  /** Frees the weights (featureModel shares them). */
  dispose(): void;
}

/** Parameters of loadBackbone. */
export interface LoadBackboneParams extends OperationOptions {
  spec: BackboneSpec;
  /** Replaces the network for URL backbones. */
  fetch?: FetchLike;
  /** Proxy settings for downloads; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Loads the backbone a spec describes (downloading or writing it into the cache first when needed). */
export async function loadBackbone(params: LoadBackboneParams): Promise<LoadedBackbone> {
  const { spec, signal, onProgress } = params;
  const modelJsonPath = await materialise(params);
  throwIfAborted(signal, "backbone loading");
  onProgress?.({ event: "phase", phase: "backbone", message: `Loading backbone ${spec.id}` });

  const tf = await loadTensorflow();
  const handler = fileHandler(tf, modelJsonPath);
  let model: Tfjs.LayersModel;
  try {
    model = await tf.loadLayersModel(handler);
  } catch (error) {
    if (error instanceof StudioError) throw error;
    throw new StudioError(`Cannot load the backbone at ${modelJsonPath}: ${(error as Error).message}`, "backbone-invalid", "It must be a tfjs LayersModel (tensorflowjs_converter --output_format tfjs_layers_model); graph models are not supported.");
  }
  try {
    const finished = finishSpec(spec, model);
    // tfjs refuses a model that lists one output twice.
    const layers = [...new Set(finished.taps.map((tap) => tap.layer))];
    const tapOutputs = finished.taps.map((tap) => layers.indexOf(tap.layer));
    const featureModel = tf.model({ inputs: model.inputs, outputs: layers.map((layer) => tapOutput(model, finished.taps.find((tap) => tap.layer === layer)!)) });
    const warnings = [finished.warning, ...checkTapShapes(finished, featureModel, tapOutputs)].filter(Boolean);
    const loadedSpec: LoadedBackboneSpec = { ...finished, warning: warnings.length > 0 ? warnings.join(" ") : undefined };
    if (loadedSpec.warning) onProgress?.({ event: "warning", message: loadedSpec.warning });
    const source: BackboneProvenance = {
      backboneId: spec.id,
      kind: spec.source.kind,
      location: spec.source.kind === "url" ? spec.source.url : modelJsonPath,
      modelJsonPath,
      modelJsonSha256: await handler.modelJsonSha256(),
    };
    return { spec: loadedSpec, model, featureModel, tapOutputs, source, dispose: () => model.dispose() };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** Makes sure the model is on disk and returns its model.json path (no tfjs needed: other engines read the files). */
export async function materialise(params: LoadBackboneParams): Promise<string> {
  const { spec } = params;
  switch (spec.source.kind) {
    case "file":
      return spec.source.path;
    case "offline":
      return writeOfflineBackbone({ cacheDir: spec.cacheDir });
    case "url": {
      const downloaded = await downloadModel({
        url: spec.source.url,
        cacheDir: spec.cacheDir,
        // Known ids get a readable folder; unknown URLs a name derived from the URL.
        name: spec.known ? spec.id : undefined,
        env: params.env,
        fetch: params.fetch,
        signal: params.signal,
        onProgress: params.onProgress,
      });
      return downloaded.modelJsonPath;
    }
    default: {
      const unreachable: never = spec.source;
      throw new Error(`Unknown backbone source ${JSON.stringify(unreachable)}`);
    }
  }
}

/** A tfjs IOHandler reading model.json + shards from disk (tfjs' own file:// handler needs tfjs-node). */
function fileHandler(tf: typeof Tfjs, modelJsonPath: string): Tfjs.io.IOHandler & { modelJsonSha256(): Promise<string> } {
  const folder = path.dirname(modelJsonPath);
  let digest: string | undefined;
  return {
    load: async () => {
      const bytes = await readOrExplain(modelJsonPath);
      digest = createHash("sha256").update(bytes).digest("hex");
      let modelJson: Tfjs.io.ModelJSON;
      try {
        modelJson = JSON.parse(bytes.toString("utf8")) as Tfjs.io.ModelJSON;
      } catch (error) {
        throw new StudioError(`${modelJsonPath} is not valid JSON: ${(error as Error).message}`, "backbone-invalid", "Delete it and run the command again to re-create or re-download it.");
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const buffers: Buffer[] = [];
        for (const shard of manifest.flatMap((group) => group.paths)) {
          const shardPath = path.resolve(folder, shard);
          if (!shardPath.startsWith(folder + path.sep)) throw new StudioError(`${modelJsonPath} names a weight file outside its folder: ${shard}.`, "backbone-invalid");
          buffers.push(await readOrExplain(shardPath));
        }
        const joined = Buffer.concat(buffers);
        // Copy into a standalone ArrayBuffer: a Buffer may be a view into a larger shared pool.
        const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
        return [tf.io.getWeightSpecs(manifest), weightData];
      });
    },
    modelJsonSha256: async () => digest ?? createHash("sha256").update(await fs.readFile(modelJsonPath)).digest("hex"),
  };
}

/** Reads a file, turning "missing" into a StudioError that says what to do. */
async function readOrExplain(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    throw new StudioError(`Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, "backbone-invalid", "A tfjs LayersModel folder needs model.json and every weight shard it lists; copy the whole folder.");
  }
}

/** Fills in "auto" taps and the real input size from the loaded model, adding warnings for guesses. */
function finishSpec(spec: BackboneSpec, model: Tfjs.LayersModel): LoadedBackboneSpec {
  const warnings = spec.warning ? [spec.warning] : [];
  let taps: BackboneTap[];
  if (spec.taps === "auto") {
    const found = findTaps(model.layers.map((layer) => layer.name), model.layers[model.layers.length - 1].name);
    taps = found.taps;
    warnings.push(found.family ? `Taps chosen from ${found.family} layer names: ${taps.map((tap) => tap.layer).join(", ")}.` : `No known tap layer names; only the last layer "${taps[0].layer}" is used, expect weaker features.`);
  } else {
    taps = spec.taps;
  }
  const inputShape = model.inputs[0]?.shape ?? [];
  const [, height, width, channels] = inputShape;
  if (inputShape.length !== 4 || channels !== 3) {
    throw new StudioError(`The backbone ${spec.id} takes input ${JSON.stringify(inputShape)}, not images (N, H, W, 3).`, "backbone-invalid", "Use an image model with one NHWC RGB input.");
  }
  let inputSize = spec.inputSize;
  if (typeof height === "number" && typeof width === "number") {
    if (height !== width) throw new StudioError(`The backbone ${spec.id} takes ${height}x${width} images; only square inputs are supported.`, "backbone-invalid");
    if (height !== spec.inputSize) {
      if (spec.known) throw new StudioError(`The backbone ${spec.id} takes ${height}x${height} images but the table says ${spec.inputSize}.`, "backbone-invalid", "The cached model does not match its id; delete the cache folder and try again.");
      warnings.push(`Input size taken from the model: ${height}x${height}.`);
      inputSize = height;
    }
  }
  return { ...spec, taps, inputSize, warning: warnings.length > 0 ? warnings.join(" ") : undefined };
}

/** The symbolic output of a tap layer, with an error listing similar layer names when it is absent. */
function tapOutput(model: Tfjs.LayersModel, tap: BackboneTap): Tfjs.SymbolicTensor {
  const layer = model.layers.find((candidate) => candidate.name === tap.layer);
  if (!layer) {
    const suggestions = model.layers.map((candidate) => candidate.name).filter((name) => /relu|activation|out/i.test(name)).slice(-8);
    throw new StudioError(`The backbone has no layer "${tap.layer}".`, "backbone-invalid", `Some of its layers: ${suggestions.join(", ")}.`);
  }
  const output = layer.output;
  if (Array.isArray(output)) throw new StudioError(`Layer "${tap.layer}" has several outputs; pick a single-output layer.`, "backbone-invalid");
  return output;
}

/** Taps must be (N,H,W,C) or (N,C); a shape other than the table documents is only worth a warning. */
function checkTapShapes(spec: LoadedBackboneSpec, featureModel: Tfjs.LayersModel, tapOutputs: readonly number[]): string[] {
  return spec.taps.flatMap((tap, index) => {
    const output = featureModel.outputs[tapOutputs[index]];
    const shape = output.shape.slice(1);
    if (shape.length !== 3 && shape.length !== 1) {
      throw new StudioError(`Tap "${tap.layer}" outputs ${JSON.stringify(output.shape)}; only (N,H,W,C) and (N,C) can be pooled.`, "backbone-invalid");
    }
    // Features still work with other shapes, but it means the model is not quite the one the table describes.
    return tap.shape && JSON.stringify(tap.shape) !== JSON.stringify(shape) ? [`Tap "${tap.layer}" of ${spec.id} outputs ${JSON.stringify(shape)}, not the ${JSON.stringify(tap.shape)} its table entry documents.`] : [];
  });
}
