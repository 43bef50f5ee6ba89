/** Loads the MobileNetV2 that ships inside the nsfwjs package as a tfjs LayersModel (bench and test fixture). */
import type { LayersModel } from "@tensorflow/tfjs";
import type { Tf } from "../src/core/shared/tensorflow";

/** nsfwjs' public export for the model files: lazy loaders of the CommonJS-wrapped model.json and weight shards. */
const MODEL_MODULE = "nsfwjs/models/mobilenet_v2";

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
}

interface NsfwModelDefinition {
  modelJson: () => Promise<ModelJson>;
  weightBundles: (() => Promise<{ default: string }>)[];
}

/** Whether nsfwjs (a dev dependency) and its MobileNetV2 files are installed. */
export function hasNsfwMobileNet(): boolean {
  try {
    require.resolve(MODEL_MODULE);
    return true;
  } catch {
    return false;
  }
}

/**
 * Does what nsfwjs' own JSONHandler does: model.min.js exports the model.json object, each group1-shardXofN.min.js
 * exports that shard's bytes as a base64 string; shards are concatenated in manifest order.
 */
export async function loadNsfwMobileNet(tf: Tf): Promise<LayersModel> {
  const definition = (require(MODEL_MODULE) as { MobileNetV2Model: NsfwModelDefinition }).MobileNetV2Model;
  const json = await definition.modelJson();
  const shards = await Promise.all(definition.weightBundles.map(async (load) => Buffer.from((await load()).default, "base64")));
  const weightData = Buffer.concat(shards);
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights) as never,
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
  }));
}
