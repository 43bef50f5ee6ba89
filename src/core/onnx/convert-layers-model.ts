/**
 * Exports a tfjs LayersModel backbone (MobileNetV2-style), the pooled features of chosen layers ("taps") and
 * optionally the trained head, as ONE portable ONNX graph (no code, no pickle): runnable by onnxruntime-node,
 * onnxruntime-web and Python onnxruntime.
 *
 * Graph layout:
 *   image [batch, H, W, C] float32, NHWC, RGB, raw 0..255
 *     → x * scale + offset → Transpose to NCHW → backbone layers the taps need (the rest is pruned)
 *     → per tap, per pooling: GlobalAveragePool / GlobalMaxPool → Flatten → Concat in the order asked
 *     → features [batch, F]
 *   with a head: (features - mean) / std → Gemm → Softmax → probabilities [batch, classes]
 *   (then `features` is kept as a second output: it is computed anyway, and the training loop reuses it.)
 *   with test-time views (shared/test-time-views.ts): the backbone runs on every view of each picture, stacked along
 *   the batch; the head's logits are averaged over a picture's views before the Softmax; `features` and `cam` are
 *   the plain view's.
 */
import type { LayersModel } from "@tensorflow/tfjs";
import { flattenChannelsLast } from "./basic-emitters";
import { collectKerasGraph } from "./collect-keras-graph";
import type { OnnxValue } from "./emit-context";
import { emitKerasGraph } from "./emit-keras-graph";
import { encodeOnnxModel, type TensorSignature } from "./encode-onnx-model";
import { OnnxExportError } from "./onnx-errors";
import { OnnxGraphBuilder } from "./onnx-graph-builder";
import { emitCamGraph } from "./cam-graph";
import type { TapPooling } from "../backbone/known-backbones";
import { innerFaceWindow } from "../shared/inner-face-window";
import { centreWindow, type TestTimeView } from "../shared/test-time-views";

/** One layer whose output becomes features; image outputs are pooled over height and width, in this order. */
export interface FeatureTap {
  layerName: string;
  /** "avg" and/or "max" global pooling of an image-shaped output (empty: "avg"); ignored for a vector output, used as it is. */
  pooling: TapPooling[];
}

/** A trained linear head on standardised features. */
export interface HeadWeights {
  /** Per-feature mean and standard deviation used to standardise, length F. */
  mean: Float32Array;
  std: Float32Array;
  /** F x C, row-major. */
  weights: Float32Array;
  /** Length C. */
  bias: Float32Array;
  /** C class names, in output order. */
  labels: string[];
}

/** How images are fed: size after the squish resize, and the affine map from 0..255 to what the backbone expects. */
export interface ImageInputSpec {
  height: number;
  width: number;
  scale: number;
  offset: number;
}

export interface ConvertLayersModelParams {
  model: LayersModel;
  /** Taps in output order, or "final" for the model's own output(s), flattened and concatenated. */
  outputs: FeatureTap[] | "final";
  input: ImageInputSpec;
  head?: HeadWeights;
  /** A second input of numbers measured outside the graph (blending statistics), appended to the features. */
  extraFeatures?: { count: number; docString: string };
  /** The face's region masks, [N, 2, grid, grid] (face-features/face-regions.ts): an input the "face-contrast" poolings read. */
  faceRegions?: { grid: number; docString: string };
  /** With a head and taps: also output `cam`, every class's activation map at the input size (cam/cam-parts.ts). */
  cam?: boolean;
  /** With a head: score each picture as the mean of the head's logits over these views (the plain picture first). */
  testTimeViews?: readonly TestTimeView[];
  /** Stored as ONNX metadata_props (labels, backbone id, …); overrides the defaults written here. */
  metadata?: Record<string, string>;
}

/** Graph input and output names, fixed so the browser, Python and Node runners agree. */
export const ONNX_NAMES = { image: "image", features: "features", probabilities: "probabilities", blendStatistics: "blend_statistics", faceRegions: "face_regions", cam: "cam" } as const;

const INPUT_KEY = "$image";

/** Converts the backbone (+ taps, + optional head) to ONNX bytes. */
export async function convertLayersModel(params: ConvertLayersModelParams): Promise<Uint8Array> {
  const channels = checkParams(params);
  const builder = new OnnxGraphBuilder();
  Object.values(ONNX_NAMES).forEach((name) => builder.uniqueName(name));

  const views = params.head && params.testTimeViews && params.testTimeViews.length > 1 ? params.testTimeViews : undefined;
  if (views && params.faceRegions) invalid("Test-time views cannot be combined with face regions: the regions are measured on the plain picture only.", "Export without testTimeViews, or train without faceContrast.");
  const plain = preprocess(builder, params.input, channels);
  const image = views ? stackViews(builder, plain, views) : plain;
  const taps = params.outputs === "final" ? "final" : params.outputs.map((tap) => tap.layerName);
  const graph = collectKerasGraph({ model: params.model, taps, inputKey: INPUT_KEY });
  const values = emitKerasGraph({ builder, graph, inputKey: INPUT_KEY, input: image });
  const parts = params.outputs === "final"
    ? values.map((value, i) => flattenChannelsLast({ builder }, value, `final/${i}/flat`))
    : params.outputs.flatMap((tap, i) => poolTap(builder, tap, values[i], params.faceRegions?.grid));
  if (params.extraFeatures) {
    // Each view of a picture gets the picture's numbers, as each augmented view does in training.
    const extra = views ? builder.addNode("Tile", [ONNX_NAMES.blendStatistics, builder.addInt64("views/repeats", [views.length, 1])], "views/blend_statistics") : ONNX_NAMES.blendStatistics;
    parts.push({ name: extra, shape: [params.extraFeatures.count] });
  }
  const featureCount = parts.reduce((sum, part) => sum + part.shape[0], 0);
  const allFeatures = views ? builder.uniqueName("views/features") : ONNX_NAMES.features;
  builder.addNamedNode(parts.length === 1 ? "Identity" : "Concat", parts.map((part) => part.name), allFeatures,
    parts.length === 1 ? {} : { axis: { i: 1 } });
  if (views) builder.addNamedNode("Identity", [firstView(builder, allFeatures, views.length, [featureCount], "views/features")], ONNX_NAMES.features);

  const outputs: TensorSignature[] = [{ name: ONNX_NAMES.features, dims: ["batch", featureCount], docString: params.extraFeatures ? "Pooled backbone features, then the blend_statistics input, before standardisation." : "Pooled backbone features, before standardisation." }];
  if (params.head) {
    const classes = appendHead(builder, params.head, featureCount, allFeatures, views?.length ?? 1);
    outputs.unshift({ name: ONNX_NAMES.probabilities, dims: ["batch", classes], docString: `Softmax over: ${params.head.labels.join(", ")}` });
    const taps = params.outputs === "final" ? [] : params.outputs.map((tap, i) => ({ value: values[i], pooling: tap.pooling }));
    const head = { mean: params.head.mean, std: params.head.std, weights: params.head.weights, classes };
    const camOutput = views ? builder.uniqueName("views/cam") : ONNX_NAMES.cam;
    const grid = params.cam ? emitCamGraph({ builder, taps, head, output: camOutput }) : undefined;
    if (grid && views) builder.addNamedNode("Identity", [firstView(builder, camOutput, views.length, [classes, ...grid], "views/cam")], ONNX_NAMES.cam);
    if (grid) {
      outputs.push({ name: ONNX_NAMES.cam, dims: ["batch", classes, ...grid], docString: "Each class's activation map on the finest tap's grid (resize it bilinearly, half-pixel centres, to the input): where the backbone's part of that class's score comes from (its mean over the cells is that part of the logit, standardised)." });
    }
  }
  return encodeOnnxModel({
    builder,
    graphName: "deepfake-studio",
    inputs: [
      { name: ONNX_NAMES.image, dims: ["batch", params.input.height, params.input.width, channels], docString: "RGB, NHWC, raw 0..255 after a squish resize." },
      ...(params.extraFeatures ? [{ name: ONNX_NAMES.blendStatistics, dims: ["batch", params.extraFeatures.count], docString: params.extraFeatures.docString }] : []),
      ...(params.faceRegions ? [{ name: ONNX_NAMES.faceRegions, dims: ["batch", 2, params.faceRegions.grid, params.faceRegions.grid], docString: params.faceRegions.docString }] : []),
    ],
    outputs,
    metadata: { ...defaultMetadata(params, channels, featureCount), ...params.metadata },
    docString: "Exported by Deepfake Detector Studio from a TensorFlow.js model.",
  });
}

/** Validates the request; returns the image channel count (always 3: RGB). */
function checkParams(params: ConvertLayersModelParams): number {
  const { height, width, scale, offset } = params.input;
  if (![height, width].every((n) => Number.isInteger(n) && n > 0)) invalid(`The input size ${height}x${width} must be positive whole numbers.`);
  if (![scale, offset].every(Number.isFinite)) invalid(`The input scale (${scale}) and offset (${offset}) must be finite numbers.`);
  if (params.outputs !== "final") {
    if (params.outputs.length === 0) invalid("No feature taps were given.", "Pass at least one layer name, or \"final\".");
    for (const tap of params.outputs) {
      const bad = tap.pooling.find((p) => !POOLINGS.includes(p));
      if (bad !== undefined) invalid(`Tap '${tap.layerName}' asks for pooling '${String(bad)}'; use ${POOLINGS.map((p) => `"${p}"`).join(", ")}.`);
    }
  }
  const shape = params.model.inputs[0]?.shape ?? [];
  if (shape.length !== 4) invalid(`The model input has shape [${shape.join(", ")}]; an image input [batch, height, width, channels] is required.`);
  const [, modelHeight, modelWidth, channels] = shape;
  if ((modelHeight != null && modelHeight !== height) || (modelWidth != null && modelWidth !== width)) {
    invalid(`The model takes ${modelHeight}x${modelWidth} images but the export asks for ${height}x${width}.`, `Export with height ${modelHeight} and width ${modelWidth}.`);
  }
  if (channels != null && channels !== 3) invalid(`The model takes ${channels}-channel images; the exporter feeds RGB (3 channels).`);
  return 3;
}

/** image → x * scale + offset (skipped when they are 1 and 0) → NCHW. */
function preprocess(builder: OnnxGraphBuilder, input: ImageInputSpec, channels: number): OnnxValue {
  let name: string = ONNX_NAMES.image;
  if (input.scale !== 1) name = builder.addNode("Mul", [name, builder.floatScalar(input.scale)], "preprocess/scale");
  if (input.offset !== 0) name = builder.addNode("Add", [name, builder.floatScalar(input.offset)], "preprocess/offset");
  name = builder.addNode("Transpose", [name], "preprocess/nchw", { perm: { ints: [0, 3, 1, 2] } });
  return { name, shape: [input.height, input.width, channels] };
}

/**
 * The feature blocks of one tap, laid out exactly as the tfjs extractor (backbone/extract-features-tfjs.ts) does:
 * each requested global pooling of an image tap (average when none is given), or a vector tap as it is.
 */
function poolTap(builder: OnnxGraphBuilder, tap: FeatureTap, value: OnnxValue, regionGrid: number | undefined): OnnxValue[] {
  if (value.shape.length !== 3) return [flattenChannelsLast({ builder }, value, `${tap.layerName}/flat`)];
  const poolings: FeatureTap["pooling"] = tap.pooling.length > 0 ? tap.pooling : ["avg"];
  return poolings.map((pooling) => {
    if (pooling === "face-contrast") return faceContrast(builder, tap, value, regionGrid);
    const op = pooling === "avg" || pooling === "face-avg" ? "GlobalAveragePool" : "GlobalMaxPool";
    let source = value.name;
    if (pooling === "face-avg" || pooling === "face-max") {
      // NCHW here: the inner-face window is a slice of axes 2 (rows) and 3 (columns), as the tfjs extractor takes it.
      const { y0, y1, x0, x1 } = innerFaceWindow(value.shape[0], value.shape[1]);
      const name = `${tap.layerName}/${pooling}`;
      source = builder.addNode("Slice", [value.name, builder.addInt64(`${name}/starts`, [y0, x0]), builder.addInt64(`${name}/ends`, [y1, x1]), builder.addInt64(`${name}/axes`, [2, 3])], `${name}/window`);
    }
    const pooled = builder.addNode(op, [source], `${tap.layerName}/${pooling}pool`);
    return { name: builder.addNode("Flatten", [pooled], `${tap.layerName}/${pooling}`, { axis: { i: 1 } }), shape: [value.shape[2]] };
  });
}

/**
 * mean(activations over the hull mask) − mean(over the ring mask), per channel, as the tfjs extractor computes it:
 * the grid×grid masks are averaged down to the tap's size (2×2 blocks for stride 8), so a cell counts by the share of
 * it that lies in the region.
 */
function faceContrast(builder: OnnxGraphBuilder, tap: FeatureTap, value: OnnxValue, grid: number | undefined): OnnxValue {
  const [height, width, channels] = value.shape;
  const name = `${tap.layerName}/face-contrast`;
  if (grid === undefined) invalid(`Tap '${tap.layerName}' asks for "face-contrast" pooling but the graph has no face_regions input.`);
  const factor = grid / height;
  if (height !== width || !Number.isInteger(factor) || factor < 1) invalid(`Tap '${tap.layerName}' is ${height}x${width}: the ${grid}x${grid} face regions cannot be averaged down to it.`);
  let masks: string = ONNX_NAMES.faceRegions;
  if (factor > 1) masks = builder.addNode("AveragePool", [masks], `${name}/masks`, { kernel_shape: { ints: [factor, factor] }, strides: { ints: [factor, factor] } });
  const spatial = builder.addInt64(`${name}/spatial`, [2, 3]);
  const regionMean = (index: number, label: string): string => {
    const mask = builder.addNode("Slice", [masks, builder.addInt64(`${name}/${label}/start`, [index]), builder.addInt64(`${name}/${label}/end`, [index + 1]), builder.addInt64(`${name}/${label}/axis`, [1])], `${name}/${label}/mask`);
    const weighted = builder.addNode("Mul", [value.name, mask], `${name}/${label}/weighted`);
    const sum = builder.addNode("ReduceSum", [weighted, spatial], `${name}/${label}/sum`, { keepdims: { i: 0 } });
    const area = builder.addNode("ReduceSum", [mask, spatial], `${name}/${label}/area`, { keepdims: { i: 0 } });
    // An empty region (a face off the picture) gives 0, not NaN.
    return builder.addNode("Div", [sum, builder.addNode("Add", [area, builder.floatScalar(FACE_CONTRAST_EPSILON)], `${name}/${label}/area+`)], `${name}/${label}/mean`);
  };
  return { name: builder.addNode("Sub", [regionMean(0, "inner"), regionMean(1, "ring")], name), shape: [channels] };
}

/** Added to a region's area before dividing (areas are cell counts, at least a fraction of one when not empty). */
export const FACE_CONTRAST_EPSILON = 1e-6;

/** Every pooling a tap may ask for. */
const POOLINGS: readonly TapPooling[] = ["avg", "max", "face-avg", "face-max", "face-contrast"];

/** NCHW image → every view of each picture, view after view along the batch: [views·N, C, H, W]. */
function stackViews(builder: OnnxGraphBuilder, image: OnnxValue, views: readonly TestTimeView[]): OnnxValue {
  const [height, width] = image.shape;
  // The full picture's [N, C] then its own size: the zoomed window is enlarged back to exactly H×W whatever N is.
  const batchAndChannels = builder.addNode("Slice", [builder.addNode("Shape", [image.name], "views/shape"), builder.addInt64("views/shape/start", [0]), builder.addInt64("views/shape/end", [2])], "views/nc");
  const sizes = builder.addNode("Concat", [batchAndChannels, builder.addInt64("views/hw", [height, width])], "views/sizes", { axis: { i: 0 } });
  const mirrored = builder.addInt64("views/mirrored", Array.from({ length: width }, (_, x) => width - 1 - x));
  const made = views.map((view, v) => {
    let name = image.name;
    if (view.zoom < 1) {
      const rows = centreWindow(height, view.zoom);
      const cols = centreWindow(width, view.zoom);
      const window = builder.addNode("Slice", [name, builder.addInt64(`views/${v}/starts`, [rows.start, cols.start]), builder.addInt64(`views/${v}/ends`, [rows.end, cols.end]), builder.addInt64(`views/${v}/axes`, [2, 3])], `views/${v}/window`);
      name = builder.addNode("Resize", [window, "", "", sizes], `views/${v}/zoomed`, { mode: { s: "linear" }, coordinate_transformation_mode: { s: "half_pixel" } });
    }
    if (view.flip) name = builder.addNode("Gather", [name, mirrored], `views/${v}/mirrored`, { axis: { i: 3 } });
    return name;
  });
  return { name: builder.addNode("Concat", made, "views/stacked", { axis: { i: 0 } }), shape: image.shape };
}

/** The plain view's rows of a value stacked view after view along the batch ([views·N, ...rest] → [N, ...rest]). */
function firstView(builder: OnnxGraphBuilder, name: string, views: number, rest: number[], base: string): string {
  const split = builder.addNode("Reshape", [name, builder.addInt64(`${base}/split`, [views, -1, ...rest])], `${base}/by-view`);
  const first = builder.addNode("Slice", [split, builder.addInt64(`${base}/first/start`, [0]), builder.addInt64(`${base}/first/end`, [1]), builder.addInt64(`${base}/first/axis`, [0])], `${base}/first`);
  return builder.addNode("Reshape", [first, builder.addInt64(`${base}/plain`, [-1, ...rest])], `${base}/plain`);
}

/** (features - mean) / std → Gemm(weights, bias) → mean over each picture's views → Softmax; returns the class count. */
function appendHead(builder: OnnxGraphBuilder, head: HeadWeights, featureCount: number, features: string, views: number): number {
  const classes = head.bias.length;
  const sizes = { mean: head.mean.length, std: head.std.length, weights: head.weights.length, labels: head.labels.length };
  const expected = { mean: featureCount, std: featureCount, weights: featureCount * classes, labels: classes };
  const wrong = (Object.keys(expected) as (keyof typeof expected)[]).filter((key) => sizes[key] !== expected[key]);
  if (classes === 0 || wrong.length > 0) {
    invalid(`The head does not fit ${featureCount} features and ${classes} classes (${wrong.map((k) => `${k} has ${sizes[k]}, expected ${expected[k]}`).join("; ")}).`,
      "Retrain the head with the same taps and pooling as this export.");
  }
  if (head.std.some((s) => !(s > 0) || !Number.isFinite(s))) invalid("The head's standard deviations must be positive finite numbers.", "Clamp them to a small epsilon when training.");
  const centred = builder.addNode("Sub", [features, builder.addFloat("head/mean", head.mean, [featureCount]).name], "head/centred");
  const scaled = builder.addNode("Div", [centred, builder.addFloat("head/std", head.std, [featureCount]).name], "head/standardised");
  const logits = builder.addNode("Gemm", [scaled, builder.addFloat("head/weights", head.weights, [featureCount, classes]).name,
    builder.addFloat("head/bias", head.bias, [classes]).name], "head/logits");
  // A linear head's mean logit over the views is what the training's validation scored (train-head.ts).
  const pictureLogits = views > 1
    ? builder.addNode("ReduceMean", [builder.addNode("Reshape", [logits, builder.addInt64("head/by-view", [views, -1, classes])], "head/logits/by-view")], "head/logits/mean", { axes: { ints: [0] }, keepdims: { i: 0 } })
    : logits;
  builder.addNamedNode("Softmax", [pictureLogits], ONNX_NAMES.probabilities, { axis: { i: 1 } });
  return classes;
}

/** Metadata every export carries, so a runner can feed the model and name its classes without other files. */
function defaultMetadata(params: ConvertLayersModelParams, channels: number, featureCount: number): Record<string, string> {
  const { height, width, scale, offset } = params.input;
  const metadata: Record<string, string> = {
    preprocessing: JSON.stringify({ input: ONNX_NAMES.image, layout: "NHWC", color: "RGB", height, width, channels, range: [0, 255], resize: "squish", scale, offset }),
    feature_taps: JSON.stringify(params.outputs),
    feature_count: String(featureCount),
    outputs: params.head ? `${ONNX_NAMES.probabilities},${ONNX_NAMES.features}${params.cam && params.outputs !== "final" ? `,${ONNX_NAMES.cam}` : ""}` : ONNX_NAMES.features,
  };
  if (params.head) metadata.labels = JSON.stringify(params.head.labels);
  return metadata;
}

/** Throws the invalid-params error. */
function invalid(message: string, hint?: string): never {
  throw new OnnxExportError(message, "onnx-invalid-params", hint);
}
