/** Reads the sliding-window part of a Conv/Pooling layer config and computes TF-exact padding. */
import type { EmitContext, Pads } from "./emit-context";

/** A conv or pooling window as ONNX attributes need it. */
export interface WindowConfig {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  padding: "valid" | "same";
}

/** Geometry of one window op over a known input size. */
export interface WindowGeometry {
  pads: Pads;
  outHeight: number;
  outWidth: number;
}

/** Reads kernel/pool size, strides, dilation and padding; rejects channels-first and causal padding. */
export function readWindowConfig(ctx: EmitContext, sizeKey: "kernelSize" | "poolSize"): WindowConfig & { geometry: (height: number, width: number, extra?: Pads) => WindowGeometry } {
  const { config } = ctx;
  if (config.dataFormat !== undefined && config.dataFormat !== "channelsLast") {
    ctx.fail(`uses data format '${String(config.dataFormat)}'; only channels-last models are supported.`);
  }
  const padding = config.padding ?? "valid";
  if (padding !== "valid" && padding !== "same") ctx.fail(`uses padding '${String(padding)}'; only 'valid' and 'same' are supported.`);
  const kernel = pair(ctx, config[sizeKey], sizeKey);
  // Keras pooling layers default their strides to the pool size.
  const strides = config.strides == null ? kernel : pair(ctx, config.strides, "strides");
  const dilations = config.dilationRate == null ? [1, 1] as [number, number] : pair(ctx, config.dilationRate, "dilationRate");
  const window = { kernel, strides, dilations, padding: padding as "valid" | "same" };
  return { ...window, geometry: (height, width, extra) => windowGeometry(window, height, width, extra ?? [0, 0, 0, 0]) };
}

/** Normalises Keras' `3` / `[3]` / `[3, 3]` to a [height, width] pair of positive integers. */
function pair(ctx: EmitContext, raw: unknown, key: string): [number, number] {
  const values = Array.isArray(raw) ? raw : [raw];
  const [a, b = a] = values as number[];
  if (![a, b].every((n) => Number.isInteger(n) && n > 0) || values.length > 2) ctx.fail(`has an unexpected ${key}: ${JSON.stringify(raw)}.`);
  return [a, b];
}

/**
 * Padding and output size. 'same' follows TensorFlow exactly: out = ceil(in / stride), and when the total padding
 * is odd the extra row/column goes at the bottom/right (ONNX SAME_UPPER), computed here so the pads are explicit.
 * `extra` is a ZeroPadding2D folded into this op; 'same' is then computed on the already padded size.
 */
function windowGeometry(window: WindowConfig, height: number, width: number, extra: Pads): WindowGeometry {
  const padded = [height + extra[0] + extra[2], width + extra[1] + extra[3]];
  const pads: Pads = [...extra];
  const out = [0, 1].map((axis) => {
    const span = (window.kernel[axis] - 1) * window.dilations[axis] + 1;
    if (window.padding === "valid") return Math.floor((padded[axis] - span) / window.strides[axis]) + 1;
    const size = Math.ceil(padded[axis] / window.strides[axis]);
    const total = Math.max((size - 1) * window.strides[axis] + span - padded[axis], 0);
    pads[axis] += Math.floor(total / 2);
    pads[axis + 2] += total - Math.floor(total / 2);
    return size;
  });
  return { pads, outHeight: out[0], outWidth: out[1] };
}
