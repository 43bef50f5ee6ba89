/**
 * Images → feature vectors with the tfjs backbone (computed once per image and cached by training).
 *
 * Feature layout, per image: for each tap in `spec.taps` order, for each pooling in that tap's `pooling` order,
 * the tap's C channels (global average = mean over H×W, global max = max over H×W); a 2-D tap (N,C) adds its C
 * values as they are. For MobileNetV2: [block_6 avg(192), block_6 max(192), block_13 avg(576), block_13 max(576),
 * out_relu avg(1280)] = 2816 numbers.
 */
import type * as Tfjs from "@tensorflow/tfjs";
import { StudioError } from "../shared/errors";
import { loadTensorflow } from "../shared/tensorflow";
import { innerFaceWindow } from "../shared/inner-face-window";
import { isFaceContrast, isFacePooling, type BackboneTap } from "./known-backbones";
import type { LoadedBackbone } from "./load-backbone";

/** A batch of images: `count` × inputSize × inputSize × 3 RGB values in 0..255, NHWC, row-major. */
export interface ImageBatch {
  data: Float32Array;
  count: number;
  /** `count` × 2 × grid × grid face-region masks (face-features/face-regions.ts), for "face-contrast" taps. */
  regions?: Float32Array;
}

/** Runs the taps on a batch and returns `count × featureLength(backbone)` numbers, image after image. */
export async function extractFeaturesTfjs(backbone: LoadedBackbone, batch: ImageBatch): Promise<Float32Array> {
  const { inputSize, scaling, taps } = backbone.spec;
  checkBatch(batch, inputSize);
  if (batch.count === 0) return new Float32Array(0);
  const tf = await loadTensorflow();
  // tidy frees the input, every activation and every pooled part; only `features` survives, freed below.
  const features = tf.tidy(() => {
    const input = tf.tensor4d(batch.data, [batch.count, inputSize, inputSize, 3]).mul(scaling.scale).add(scaling.offset);
    const outputs = backbone.featureModel.predict(input) as Tfjs.Tensor | Tfjs.Tensor[];
    const masks = batch.regions ? regionMasks(tf, batch.regions, batch.count) : undefined;
    const all = Array.isArray(outputs) ? outputs : [outputs];
    const parts = taps.flatMap((tap, index) => poolTap(tf, all[backbone.tapOutputs[index]], tap, masks));
    return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
  });
  try {
    return (await features.data()) as Float32Array;
  } finally {
    features.dispose();
  }
}

/** Length of one image's feature vector for this backbone (depends on the tap channel counts and poolings). */
export function featureLength(backbone: LoadedBackbone): number {
  return backbone.spec.taps.reduce((total, tap, index) => {
    const output = backbone.featureModel.outputs[backbone.tapOutputs[index]];
    const channels = output.shape[output.shape.length - 1] ?? 0;
    return total + (output.shape.length === 4 ? channels * poolingsOf(tap).length : channels);
  }, 0);
}

/** Rejects batches whose size does not match the backbone, before tfjs fails with a shape message. */
function checkBatch(batch: ImageBatch, inputSize: number): void {
  const perImage = inputSize * inputSize * 3;
  if (!Number.isInteger(batch.count) || batch.count < 0 || batch.data.length !== batch.count * perImage) {
    throw new StudioError(
      `Expected ${batch.count} image(s) of ${inputSize}x${inputSize}x3 (${batch.count * perImage} values), got ${batch.data.length} values.`,
      "features-input-invalid",
      `Resize every image to ${inputSize}x${inputSize} RGB (0..255, NHWC) before extracting features.`,
    );
  }
}

/** Reduces one tap output to (N, k·C): global pools for 4-D outputs, the output itself for 2-D ones. */
function poolTap(tf: typeof Tfjs, output: Tfjs.Tensor, tap: BackboneTap, masks: Tfjs.Tensor4D | undefined): Tfjs.Tensor2D[] {
  // load-backbone.ts only accepts 4-D and 2-D taps.
  if (output.rank !== 4) return [output as Tfjs.Tensor2D];
  return poolingsOf(tap).map((pooling) => {
    if (isFaceContrast(pooling)) return faceContrast(tf, output as Tfjs.Tensor4D, tap, masks);
    let region = output as Tfjs.Tensor4D;
    if (isFacePooling(pooling)) {
      const { y0, y1, x0, x1 } = innerFaceWindow(output.shape[1] as number, output.shape[2] as number);
      region = tf.slice(region, [0, y0, x0, 0], [-1, y1 - y0, x1 - x0, -1]);
    }
    return (pooling === "avg" || pooling === "face-avg" ? tf.mean(region, [1, 2]) : tf.max(region, [1, 2])) as Tfjs.Tensor2D;
  });
}

/** The masks, NHWC ([N, grid, grid, 2]) as tfjs's activations are laid out. */
function regionMasks(tf: typeof Tfjs, regions: Float32Array, count: number): Tfjs.Tensor4D {
  const grid = Math.round(Math.sqrt(regions.length / (2 * count)));
  if (2 * count * grid * grid !== regions.length) {
    throw new StudioError(`Expected ${count} pair(s) of square face-region masks, got ${regions.length} values.`, "features-input-invalid", "Compute them with faceRegions (face-features/face-regions.ts).");
  }
  return tf.transpose(tf.tensor4d(regions, [count, 2, grid, grid]), [0, 2, 3, 1]);
}

/** convert-layers-model.ts's faceContrast: masks averaged down to the tap's size, hull mean minus ring mean per channel. */
function faceContrast(tf: typeof Tfjs, output: Tfjs.Tensor4D, tap: BackboneTap, masks: Tfjs.Tensor4D | undefined): Tfjs.Tensor2D {
  if (!masks) throw new StudioError(`Tap ${tap.layer} pools "face-contrast" but no face regions were given.`, "features-input-invalid", "Pass the faces' region masks with the batch (faceRegions).");
  const factor = (masks.shape[1] as number) / (output.shape[1] as number);
  const sized = factor > 1 ? tf.avgPool(masks, factor, factor, "valid") : masks;
  const mean = (index: number) => {
    const mask = tf.slice(sized, [0, 0, 0, index], [-1, -1, -1, 1]);
    return tf.div(tf.sum(tf.mul(output, mask), [1, 2]), tf.add(tf.sum(mask, [1, 2]), FACE_CONTRAST_EPSILON));
  };
  return tf.sub(mean(0), mean(1)) as Tfjs.Tensor2D;
}

/** convert-layers-model.ts's FACE_CONTRAST_EPSILON (not imported: that module pulls in the converter). */
const FACE_CONTRAST_EPSILON = 1e-6;

/** A 4-D tap without poolings would vanish from the features; treat it as average-pooled. */
function poolingsOf(tap: BackboneTap): BackboneTap["pooling"] {
  return tap.pooling.length > 0 ? tap.pooling : ["avg"];
}
