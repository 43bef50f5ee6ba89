/** Emitters for the layers that carry weights: convolutions, Dense, BatchNormalization (folded when possible), ZeroPadding2D. */
import { applyActivation } from "./apply-activation";
import type { EmitContext, FoldableConv, KerasWeight, LayerEmitter, OnnxValue, Pads, Slot } from "./emit-context";
import { readWindowConfig } from "./read-window-config";

/** Layer class name → emitter, for the weight-carrying layers. */
export const convEmitters: Record<string, LayerEmitter> = {
  Conv2D: (ctx) => emitConv(ctx, "Conv2D"),
  DepthwiseConv2D: (ctx) => emitConv(ctx, "DepthwiseConv2D"),
  SeparableConv2D: (ctx) => emitConv(ctx, "SeparableConv2D"),
  Dense: emitDense,
  BatchNormalization: emitBatchNormalization,
  ZeroPadding2D: emitZeroPadding,
};

type ConvKind = "Conv2D" | "DepthwiseConv2D" | "SeparableConv2D";

/** Conv2D / DepthwiseConv2D / SeparableConv2D with TF-exact padding, absorbing a preceding ZeroPadding2D. */
function emitConv(ctx: EmitContext, kind: ConvKind): Slot {
  const window = readWindowConfig(ctx, "kernelSize");
  const { source, extra } = absorbPadding(ctx);
  const [height, width, channels] = imageShape(ctx, source);
  const geometry = window.geometry(height, width, extra);
  if (geometry.outHeight < 1 || geometry.outWidth < 1) ctx.fail(`gets a ${height}x${width} input, too small for its ${window.kernel.join("x")} kernel.`);
  const weights = ctx.weights();
  const useBias = ctx.config.useBias !== false;
  const attributes = {
    kernel_shape: { ints: window.kernel }, strides: { ints: window.strides }, dilations: { ints: window.dilations }, pads: { ints: geometry.pads },
  };
  const { builder } = ctx;
  let kernel: { data: Float32Array; dims: number[]; group: number };
  if (kind === "Conv2D") kernel = { ...conv2dKernel(weights[0]), group: 1 };
  else kernel = { ...depthwiseKernel(weights[0]), group: channels };
  if (weights[0].shape[2] !== channels) ctx.fail(`expects ${weights[0].shape[2]} input channels but gets ${channels}.`);

  if (kind === "SeparableConv2D") {
    // Depthwise step without bias, then the pointwise 1x1 conv carries the bias (as in Keras).
    const depthwise = builder.addFloat(`${ctx.node.name}/depthwise_kernel`, kernel.data, kernel.dims);
    const mid = builder.addNode("Conv", [source.name, depthwise.name], `${ctx.node.name}/depthwise`, { ...attributes, group: { i: kernel.group } });
    const pointwise = conv2dKernel(weights[1]);
    const bias = useBias ? weights[2].data : new Float32Array(pointwise.dims[0]);
    return convOutput(ctx, { name: mid, shape: [geometry.outHeight, geometry.outWidth, kernel.dims[0]] }, pointwise, bias, {
      kernel_shape: { ints: [1, 1] }, strides: { ints: [1, 1] }, dilations: { ints: [1, 1] }, pads: { ints: [0, 0, 0, 0] },
    }, 1);
  }
  const bias = useBias ? weights[1].data : new Float32Array(kernel.dims[0]);
  return convOutput(ctx, source, kernel, bias, attributes, kernel.group, [geometry.outHeight, geometry.outWidth]);
}

/** Writes the Conv node (bias always present so BatchNormalization can fold into it) and the activation. */
function convOutput(
  ctx: EmitContext, input: OnnxValue, kernel: { data: Float32Array; dims: number[] }, biasData: Float32Array,
  attributes: Record<string, { ints: number[] }>, group: number, outSize = input.shape.slice(0, 2),
): Slot {
  const { builder } = ctx;
  const weight = builder.addFloat(`${ctx.node.name}/kernel`, kernel.data, kernel.dims);
  // Copy: folding BatchNormalization later must not write into the tfjs weight buffer.
  const bias = builder.addFloat(`${ctx.node.name}/bias`, Float32Array.from(biasData), [kernel.dims[0]]);
  const name = builder.addNode("Conv", [input.name, weight.name, bias.name], ctx.node.name, { ...attributes, group: { i: group } });
  const value = { name, shape: [outSize[0], outSize[1], kernel.dims[0]] };
  const activation = String(ctx.config.activation ?? "linear");
  if (activation !== "linear") return { value: applyActivation(ctx, value, activation) };
  return { value, conv: { weight, bias, outChannels: kernel.dims[0] } };
}

/** Keras Conv2D kernel [kh, kw, in, out] → ONNX [out, in, kh, kw]. */
function conv2dKernel(kernel: KerasWeight): { data: Float32Array; dims: number[] } {
  const [kh, kw, inC, outC] = kernel.shape;
  const data = new Float32Array(kernel.data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < inC; i++) {
        for (let o = 0; o < outC; o++) data[((o * inC + i) * kh + y) * kw + x] = kernel.data[((y * kw + x) * inC + i) * outC + o];
      }
    }
  }
  return { data, dims: [outC, inC, kh, kw] };
}

/** Keras depthwise kernel [kh, kw, C, M] → ONNX grouped-conv [C*M, 1, kh, kw]; TF orders output channels c*M + m, as groups do. */
function depthwiseKernel(kernel: KerasWeight): { data: Float32Array; dims: number[] } {
  const [kh, kw, channels, multiplier] = kernel.shape;
  const data = new Float32Array(kernel.data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let c = 0; c < channels; c++) {
        for (let m = 0; m < multiplier; m++) data[((c * multiplier + m) * kh + y) * kw + x] = kernel.data[((y * kw + x) * channels + c) * multiplier + m];
      }
    }
  }
  return { data, dims: [channels * multiplier, 1, kh, kw] };
}

/** Takes a pending ZeroPadding2D input as conv pads when this conv is its only reader (saves a Pad pass over the image). */
function absorbPadding(ctx: EmitContext): { source: OnnxValue; extra: Pads } {
  const pending = ctx.slots[0]?.pendingPad;
  if (pending && ctx.isSoleReader(0)) return { source: pending.source, extra: pending.pads };
  return { source: ctx.value(0), extra: [0, 0, 0, 0] };
}

/** The input's [H, W, C], failing clearly when it is not an image. */
function imageShape(ctx: EmitContext, value: OnnxValue): [number, number, number] {
  if (value.shape.length !== 3) ctx.fail(`expects an image (height, width, channels) input but gets shape [${value.shape.join(", ")}].`);
  return value.shape as [number, number, number];
}

/** Dense: Gemm on vectors; on images Keras applies it per pixel, which is a 1x1 conv in NCHW. */
function emitDense(ctx: EmitContext): Slot {
  const input = ctx.value(0);
  const [kernel, biasWeight] = ctx.weights();
  const [inF, units] = kernel.shape;
  if (input.shape[input.shape.length - 1] !== inF) ctx.fail(`expects ${inF} input features but gets shape [${input.shape.join(", ")}].`);
  const biasData = ctx.config.useBias !== false && biasWeight ? biasWeight.data : new Float32Array(units);
  if (input.shape.length === 3) {
    const transposed = conv2dKernel({ data: kernel.data, shape: [1, 1, inF, units] });
    return convOutput(ctx, input, transposed, biasData, {
      kernel_shape: { ints: [1, 1] }, strides: { ints: [1, 1] }, dilations: { ints: [1, 1] }, pads: { ints: [0, 0, 0, 0] },
    }, 1);
  }
  if (input.shape.length !== 1) ctx.fail(`gets an input of shape [${input.shape.join(", ")}]; only vectors and images are supported.`);
  const { builder } = ctx;
  const weight = builder.addFloat(`${ctx.node.name}/kernel`, kernel.data, [inF, units]);
  const bias = builder.addFloat(`${ctx.node.name}/bias`, biasData, [units]);
  const value = { name: builder.addNode("Gemm", [input.name, weight.name, bias.name], ctx.node.name), shape: [units] };
  return { value: applyActivation(ctx, value, String(ctx.config.activation ?? "linear")) };
}

/** BatchNormalization: folded into the conv before it when nothing else reads that conv, else an ONNX BatchNormalization. */
function emitBatchNormalization(ctx: EmitContext): Slot {
  const slot = ctx.slots[0];
  const rank = slot.value.shape.length;
  const axes = Array.isArray(ctx.config.axis) ? ctx.config.axis : [ctx.config.axis ?? -1];
  if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== rank)) {
    ctx.fail(`normalises axis ${JSON.stringify(ctx.config.axis)}; only the channel (last) axis is supported.`);
  }
  const stats = batchNormStats(ctx, slot.value.shape[rank - 1]);
  if (slot.conv && !slot.pendingPad && ctx.isSoleReader(0)) {
    foldIntoConv(slot.conv, stats);
    return { value: slot.value, conv: slot.conv };
  }
  const input = ctx.value(0);
  const { builder } = ctx;
  const channels = stats.mean.length;
  const [gamma, beta, mean, variance] = (["gamma", "beta", "mean", "variance"] as const)
    .map((key) => builder.addFloat(`${ctx.node.name}/${key}`, stats[key], [channels]).name);
  const name = builder.addNode("BatchNormalization", [input.name, gamma, beta, mean, variance], ctx.node.name, { epsilon: { f: stats.epsilon } });
  return { value: { name, shape: input.shape } };
}

interface BatchNormStats {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

/** Reads gamma/beta (absent when scale/center are off) and the moving statistics, in tfjs weight order. */
function batchNormStats(ctx: EmitContext, channels: number): BatchNormStats {
  const weights = ctx.weights().map((w) => w.data);
  const gamma = ctx.config.scale !== false ? weights.shift() : new Float32Array(channels).fill(1);
  const beta = ctx.config.center !== false ? weights.shift() : new Float32Array(channels);
  const [mean, variance] = weights;
  if (!gamma || !beta || !mean || !variance || [gamma, beta, mean, variance].some((w) => w.length !== channels)) {
    ctx.fail(`has weights that do not match its ${channels} channels.`);
  }
  return { gamma, beta, mean, variance, epsilon: Number(ctx.config.epsilon ?? 1e-3) };
}

/** w' = w * gamma / sqrt(var + eps), b' = (b - mean) * gamma / sqrt(var + eps) + beta, in float64 before rounding. */
function foldIntoConv(conv: FoldableConv, stats: BatchNormStats): void {
  const perChannel = conv.weight.data.length / conv.outChannels;
  for (let o = 0; o < conv.outChannels; o++) {
    const scale = stats.gamma[o] / Math.sqrt(stats.variance[o] + stats.epsilon);
    for (let k = o * perChannel; k < (o + 1) * perChannel; k++) conv.weight.data[k] *= scale;
    conv.bias.data[o] = (conv.bias.data[o] - stats.mean[o]) * scale + stats.beta[o];
  }
}

/** ZeroPadding2D: left pending so the next conv can take it as pads; emitted as Pad only if something else reads it. */
function emitZeroPadding(ctx: EmitContext): Slot {
  const source = ctx.value(0);
  const [height, width, channels] = imageShape(ctx, source);
  if (ctx.config.dataFormat !== undefined && ctx.config.dataFormat !== "channelsLast") ctx.fail("is channels-first; only channels-last models are supported.");
  const [[top, bottom], [left, right]] = zeroPaddingAmounts(ctx, ctx.config.padding);
  const value = { name: ctx.builder.uniqueName(ctx.node.name), shape: [height + top + bottom, width + left + right, channels] };
  return { value, pendingPad: { source, pads: [top, left, bottom, right] } };
}

/** Normalises Keras' `p`, `[h, w]` and `[[top, bottom], [left, right]]` padding forms. */
function zeroPaddingAmounts(ctx: EmitContext, raw: unknown): [[number, number], [number, number]] {
  if (typeof raw === "number") return [[raw, raw], [raw, raw]];
  if (Array.isArray(raw) && raw.length === 2 && raw.every((p) => typeof p === "number")) return [[raw[0], raw[0]], [raw[1], raw[1]]];
  if (Array.isArray(raw) && raw.length === 2 && raw.every((p) => Array.isArray(p) && p.length === 2)) return raw as [[number, number], [number, number]];
  return ctx.fail(`has an unexpected padding ${JSON.stringify(raw)}.`);
}
