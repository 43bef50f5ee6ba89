/** Emitters for weight-free layers: activations, pooling, merges, Flatten, Rescaling and inference-time no-ops. */
import { applyActivation, clip } from "./apply-activation";
import type { EmitContext, LayerEmitter, OnnxValue, Slot } from "./emit-context";
import { readWindowConfig } from "./read-window-config";

/** Layer class name → emitter, for the layers without weights. */
export const basicEmitters: Record<string, LayerEmitter> = {
  Activation: (ctx) => ({ value: applyActivation(ctx, ctx.value(0), String(ctx.config.activation)) }),
  ReLU: emitRelu,
  LeakyReLU: (ctx) => unary(ctx, "LeakyRelu", { alpha: { f: Number(ctx.config.alpha ?? 0.3) } }),
  ELU: (ctx) => unary(ctx, "Elu", { alpha: { f: Number(ctx.config.alpha ?? 1) } }),
  ThresholdedReLU: (ctx) => unary(ctx, "ThresholdedRelu", { alpha: { f: Number(ctx.config.theta ?? 1) } }),
  Softmax: emitSoftmax,
  GlobalAveragePooling2D: (ctx) => emitGlobalPool(ctx, "GlobalAveragePool"),
  GlobalMaxPooling2D: (ctx) => emitGlobalPool(ctx, "GlobalMaxPool"),
  AveragePooling2D: (ctx) => emitPool(ctx, "AveragePool"),
  MaxPooling2D: (ctx) => emitPool(ctx, "MaxPool"),
  Add: (ctx) => emitMerge(ctx, "Sum"),
  Multiply: (ctx) => emitMerge(ctx, "Mul"),
  Average: (ctx) => emitMerge(ctx, "Mean"),
  Maximum: (ctx) => emitMerge(ctx, "Max"),
  Minimum: (ctx) => emitMerge(ctx, "Min"),
  Subtract: (ctx) => emitMerge(ctx, "Sub"),
  Concatenate: emitConcatenate,
  Flatten: (ctx) => ({ value: flattenChannelsLast(ctx, ctx.value(0), ctx.node.name) }),
  Rescaling: emitRescaling,
  // Regularisers that do nothing at inference time.
  Dropout: passThrough,
  SpatialDropout1D: passThrough,
  SpatialDropout2D: passThrough,
  GaussianNoise: passThrough,
  GaussianDropout: passThrough,
  AlphaDropout: passThrough,
  ActivityRegularization: passThrough,
};

/** Hands the input on unchanged (emitted, and without the conv link so nothing folds across it). */
function passThrough(ctx: EmitContext): Slot {
  return { value: ctx.value(0) };
}

/** One elementwise ONNX op on the single input. */
function unary(ctx: EmitContext, op: string, attributes: Record<string, { f: number }> = {}): Slot {
  const input = ctx.value(0);
  return { value: { name: ctx.builder.addNode(op, [input.name], ctx.node.name, attributes), shape: input.shape } };
}

/** ReLU layer: Relu, or Clip(0, max) for MobileNet's ReLU(max_value=6). */
function emitRelu(ctx: EmitContext): Slot {
  const maxValue = ctx.config.maxValue;
  // tfjs' ReLU layer reads only maxValue (Keras' negative_slope/threshold are dropped on load), so neither do we.
  if (maxValue == null) return unary(ctx, "Relu");
  return { value: clip(ctx, ctx.value(0), 0, Number(maxValue), ctx.node.name) };
}

/** Softmax layer over the channel axis. */
function emitSoftmax(ctx: EmitContext): Slot {
  const input = ctx.value(0);
  const axis = ctx.config.axis ?? -1;
  if (axis !== -1 && axis !== input.shape.length) ctx.fail(`normalises axis ${JSON.stringify(axis)}; only the last axis is supported.`);
  return { value: applyActivation(ctx, input, "softmax") };
}

/** GlobalAverage/MaxPooling2D → [N, C] (or [N, C, 1, 1] with keepDims). */
function emitGlobalPool(ctx: EmitContext, op: "GlobalAveragePool" | "GlobalMaxPool"): Slot {
  const input = image(ctx);
  const pooled = ctx.builder.addNode(op, [input.name], ctx.config.keepDims ? ctx.node.name : `${ctx.node.name}/pool`);
  const channels = input.shape[2];
  if (ctx.config.keepDims) return { value: { name: pooled, shape: [1, 1, channels] } };
  return { value: { name: ctx.builder.addNode("Flatten", [pooled], ctx.node.name, { axis: { i: 1 } }), shape: [channels] } };
}

/** Average/MaxPooling2D with TF-exact 'same' padding; AveragePool excludes the padding from the mean, as TF does. */
function emitPool(ctx: EmitContext, op: "AveragePool" | "MaxPool"): Slot {
  const input = image(ctx);
  const window = readWindowConfig(ctx, "poolSize");
  const geometry = window.geometry(input.shape[0], input.shape[1]);
  if (geometry.outHeight < 1 || geometry.outWidth < 1) ctx.fail(`gets a ${input.shape[0]}x${input.shape[1]} input, too small for its pool size.`);
  const name = ctx.builder.addNode(op, [input.name], ctx.node.name, {
    kernel_shape: { ints: window.kernel }, strides: { ints: window.strides }, pads: { ints: geometry.pads },
  });
  return { value: { name, shape: [geometry.outHeight, geometry.outWidth, input.shape[2]] } };
}

/** Add/Multiply/Average/Maximum/Minimum/Subtract over same-shaped inputs. */
function emitMerge(ctx: EmitContext, op: "Sum" | "Mul" | "Mean" | "Max" | "Min" | "Sub"): Slot {
  const inputs = ctx.slots.map((_, i) => ctx.value(i));
  const shape = inputs[0].shape;
  if (inputs.some((input) => input.shape.join() !== shape.join())) {
    ctx.fail(`merges inputs of different shapes (${inputs.map((input) => `[${input.shape.join(", ")}]`).join(", ")}); broadcasting merges are not supported.`);
  }
  if (op === "Sub" && inputs.length !== 2) ctx.fail(`subtracts ${inputs.length} inputs; Keras allows exactly two.`);
  const names = inputs.map((input) => input.name);
  if (op === "Mul") {
    // Mul takes exactly two inputs, so chain it for more.
    const name = names.slice(1).reduce((acc, next, i) => ctx.builder.addNode("Mul", [acc, next], i === names.length - 2 ? ctx.node.name : `${ctx.node.name}/mul`), names[0]);
    return { value: { name, shape } };
  }
  // Add of two is the common residual case; plain Add is what ORT's Conv+Add fusions look for.
  const onnxOp = op === "Sum" && names.length === 2 ? "Add" : op;
  return { value: { name: ctx.builder.addNode(onnxOp, names, ctx.node.name), shape } };
}

/** Concatenate along a Keras axis, mapped to NCHW for images. */
function emitConcatenate(ctx: EmitContext): Slot {
  const inputs = ctx.slots.map((_, i) => ctx.value(i));
  const rank = inputs[0].shape.length;
  const raw = Number(ctx.config.axis ?? -1);
  const kerasAxis = raw < 0 ? rank + 1 + raw : raw; // counts the batch axis, as Keras does
  if (kerasAxis < 1 || kerasAxis > rank || inputs.some((input) => input.shape.length !== rank)) ctx.fail(`concatenates along axis ${raw}, which the exporter cannot map.`);
  // Keras [N, H, W, C] axis 1/2/3 → NCHW axis 2/3/1; vectors keep their axis.
  const onnxAxis = rank === 3 ? [0, 2, 3, 1][kerasAxis] : kerasAxis;
  const shape = [...inputs[0].shape];
  shape[kerasAxis - 1] = inputs.reduce((sum, input) => sum + input.shape[kerasAxis - 1], 0);
  return { value: { name: ctx.builder.addNode("Concat", inputs.map((input) => input.name), ctx.node.name, { axis: { i: onnxAxis } }), shape } };
}

/** Rescaling: x * scale + offset with scalar factors. */
function emitRescaling(ctx: EmitContext): Slot {
  const input = ctx.value(0);
  const scale = ctx.config.scale;
  const offset = ctx.config.offset ?? 0;
  if (typeof scale !== "number" || typeof offset !== "number") ctx.fail("uses per-channel scale or offset; only scalar Rescaling is supported.");
  const { builder } = ctx;
  const scaled = builder.addNode("Mul", [input.name, builder.floatScalar(scale)], offset === 0 ? ctx.node.name : `${ctx.node.name}/scale`);
  const name = offset === 0 ? scaled : builder.addNode("Add", [scaled, builder.floatScalar(offset)], ctx.node.name);
  return { value: { name, shape: input.shape } };
}

/** The single input, which must be an image. */
function image(ctx: EmitContext): OnnxValue {
  const input = ctx.value(0);
  if (input.shape.length !== 3) ctx.fail(`expects an image (height, width, channels) input but gets shape [${input.shape.join(", ")}].`);
  if (ctx.config.dataFormat !== undefined && ctx.config.dataFormat !== "channelsLast") ctx.fail("is channels-first; only channels-last models are supported.");
  return input;
}

/**
 * Flattens in Keras (H, W, C) order: an NCHW image is transposed back to NHWC first, unless it is 1x1
 * where both orders agree. Vectors pass through.
 */
export function flattenChannelsLast(ctx: Pick<EmitContext, "builder">, input: OnnxValue, name: string): OnnxValue {
  if (input.shape.length === 1) return input;
  const size = input.shape.reduce((a, b) => a * b, 1);
  const { builder } = ctx;
  const spatial = input.shape.length === 3 && input.shape[0] * input.shape[1] > 1;
  const source = spatial ? builder.addNode("Transpose", [input.name], `${name}/nhwc`, { perm: { ints: [0, 2, 3, 1] } }) : input.name;
  return { name: builder.addNode("Flatten", [source], name, { axis: { i: 1 } }), shape: [size] };
}
