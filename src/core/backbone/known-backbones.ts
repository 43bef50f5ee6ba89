/**
 * The backbones the studio knows by name, like fastai's `model_meta`: where the weights come from, what the
 * network expects as input, and which layers we tap for features. Data only; resolve-backbone.ts reads it.
 */

/** Linear input scaling applied to 0..255 RGB: `x * scale + offset`. */
export interface InputScaling {
  scale: number;
  offset: number;
}

/**
 * How a 4-D tap (N,H,W,C) is reduced to a vector; each entry adds C numbers, in this order. "face-avg"/"face-max"
 * pool only the window of the map where a face crop has its inner face (shared/inner-face-window.ts): blending traces sit
 * there, and whole-picture pooling dilutes them with hair, background and clothes.
 */
export type TapPooling = "avg" | "max" | "face-avg" | "face-max" | "face-contrast";

/**
 * "face-contrast" (train.faceContrast): the average over the face's landmark hull minus the average over the ring
 * around it (face-features/face-regions.ts), so it needs the face's region masks as a second input of the graph.
 */
export function isFaceContrast(pooling: TapPooling): pooling is "face-contrast" {
  return pooling === "face-contrast";
}

/** Whether a pooling reads only the inner-face window (innerFaceWindow in shared/inner-face-window.ts). */
export function isFacePooling(pooling: TapPooling): pooling is "face-avg" | "face-max" {
  return pooling === "face-avg" || pooling === "face-max";
}

/** One layer whose output becomes part of the feature vector. */
export interface BackboneTap {
  /** Layer name inside the tfjs LayersModel. */
  layer: string;
  /** Global poolings applied to a 4-D output; ignored for a 2-D output (used as it is). */
  pooling: TapPooling[];
  /** Expected output shape for the table's input size (documentation and a sanity check; no batch axis). */
  shape?: number[];
}

/** Where a backbone's weights come from. */
export type BackboneSource =
  /** A tfjs LayersModel folder on the web (model.json + weight shards), downloaded once into the cache. */
  | { kind: "url"; url: string }
  /** A tfjs LayersModel already on disk: path to its model.json. */
  | { kind: "file"; path: string }
  /** A model shipped inside an npm package, written out once into the cache (see write-offline-backbone.ts). */
  | { kind: "offline"; name: "nsfwjs-mobilenet_v2" };

/** One row of the table. */
export interface KnownBackbone {
  id: string;
  description: string;
  source: BackboneSource;
  /** Square input side in pixels. */
  inputSize: number;
  scaling: InputScaling;
  /** Features = the taps in this order, each pooled in its `pooling` order, concatenated. */
  taps: BackboneTap[];
}

/** Id used when nothing else is asked for (param, env, config). */
export const DEFAULT_BACKBONE_ID = "mobilenet_v2_1.00_224";

/** Id of the backbone that needs no network (bundled with the nsfwjs npm package). */
export const OFFLINE_BACKBONE_ID = "nsfwjs-mobilenet_v2";

/** Keras MobileNetV2 expects [-1, 1] (tf.keras.applications.mobilenet_v2.preprocess_input). */
const MINUS_ONE_TO_ONE: InputScaling = { scale: 1 / 127.5, offset: -1 };

/** nsfwjs divides by 255 before predicting (NSFWJS.infer), so its fine-tuned layers saw [0, 1]. */
const ZERO_TO_ONE: InputScaling = { scale: 1 / 255, offset: 0 };

/** Keras MobileNetV2 expanded-conv channel count: 6 × the previous block's (alpha-scaled, multiple of 8) width. */
function expandChannels(alpha: number, blockInputWidth: number): number {
  const scaled = blockInputWidth * alpha;
  let width = Math.max(8, Math.floor((scaled + 4) / 8) * 8);
  if (width < 0.9 * scaled) width += 8;
  return 6 * width;
}

/**
 * The taps measured best on the lesson-2 data (CV ≈ 0.93 vs ≈ 0.70 for the last layer alone): the expand
 * activations at stride 8 and 16, avg+max pooled, plus the final 1280-d activation, avg pooled as Teachable
 * Machine does. Keras layer names are the same for every alpha; only the channel counts change.
 */
function mobilenetV2Taps(alpha: number): BackboneTap[] {
  return [
    { layer: "block_6_expand_relu", pooling: ["avg", "max"], shape: [28, 28, expandChannels(alpha, 32)] },
    { layer: "block_13_expand_relu", pooling: ["avg", "max"], shape: [14, 14, expandChannels(alpha, 96)] },
    // Keras keeps the last conv at 1280 channels for alpha <= 1.
    { layer: "out_relu", pooling: ["avg"], shape: [7, 7, 1280] },
  ];
}

/**
 * The taps added for face crops (train.facePooling): the expand activations at stride 4 and 8 pooled over the inner
 * face only. Measured on held-out same-person fakes (BENCHMARKS.md): these see blending that whole-picture pooling
 * misses.
 */
export const FACE_REGION_TAPS: readonly BackboneTap[] = [
  { layer: "block_3_expand_relu", pooling: ["face-avg", "face-max"] },
  { layer: "block_6_expand_relu", pooling: ["face-avg", "face-max"] },
];

/**
 * The taps of train.faceContrast: the same stride-4 and stride-8 expand activations, as the difference between the
 * inner face and the ring around it. Measured on held-out same-person swaps (BENCHMARKS.md).
 */
export const FACE_CONTRAST_TAPS: readonly BackboneTap[] = [
  { layer: "block_3_expand_relu", pooling: ["face-contrast"] },
  { layer: "block_6_expand_relu", pooling: ["face-contrast"] },
];

/** The public Teachable Machine copy of Keras' ImageNet MobileNetV2 without its classifier. */
function teachableMachineMobileNetV2(alpha: "0.35" | "0.50" | "0.75" | "1.00"): KnownBackbone {
  return {
    id: `mobilenet_v2_${alpha}_224`,
    description: `Keras MobileNetV2 (alpha ${alpha}), ImageNet weights, no top; the copy Teachable Machine loads.`,
    source: {
      kind: "url",
      url: `https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alpha}_224_no_top/model.json`,
    },
    inputSize: 224,
    scaling: MINUS_ONE_TO_ONE,
    taps: mobilenetV2Taps(Number(alpha)),
  };
}

/** Every backbone the studio knows by id; the first one is the default. */
export const KNOWN_BACKBONES: readonly KnownBackbone[] = [
  teachableMachineMobileNetV2("1.00"),
  teachableMachineMobileNetV2("0.75"),
  teachableMachineMobileNetV2("0.50"),
  teachableMachineMobileNetV2("0.35"),
  {
    id: OFFLINE_BACKBONE_ID,
    description:
      "MobileNetV2 (alpha 1.00) bundled with the nsfwjs npm package: ImageNet-initialised, then retrained by nsfwjs " +
      "for its 5 NSFW classes (blocks 11–16 and the last conv fine-tuned, earlier blocks frozen; uint8-quantised " +
      "weights). Needs no network; use it offline, in tests and in the demo.",
    source: { kind: "offline", name: "nsfwjs-mobilenet_v2" },
    inputSize: 224,
    scaling: ZERO_TO_ONE,
    taps: mobilenetV2Taps(1),
  },
];
