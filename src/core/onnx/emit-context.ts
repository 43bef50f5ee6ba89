/** Shared types of the Keras-layer → ONNX emitters. */
import type { KerasGraphNode, KerasLayer } from "./collect-keras-graph";
import type { FloatInitializer, OnnxGraphBuilder } from "./onnx-graph-builder";

/**
 * An ONNX value plus its Keras (channels-last, batch-free) shape: [H, W, C] for images, [F] for vectors.
 * Image values are stored NCHW in the graph; `shape` stays in Keras order so layer configs read naturally.
 */
export interface OnnxValue {
  name: string;
  shape: number[];
}

/** A convolution whose output is still linear, so a following BatchNormalization can be folded into it. */
export interface FoldableConv {
  weight: FloatInitializer;
  bias: FloatInitializer;
  outChannels: number;
}

/** What a layer call produced: a value, possibly not written yet (a pending zero padding a conv may absorb). */
export interface Slot {
  value: OnnxValue;
  /** Set while the Pad node has not been emitted; the first reader that cannot absorb it emits it. */
  pendingPad?: { source: OnnxValue; pads: Pads };
  /** Set when `value` is the raw output of a conv with a linear activation. */
  conv?: FoldableConv;
}

/** Spatial padding as ONNX Conv wants it: [top, left, bottom, right]. */
export type Pads = [number, number, number, number];

/** One tfjs weight: its values (float32) and Keras shape. */
export interface KerasWeight {
  data: Float32Array;
  shape: number[];
}

/** Everything an emitter may use to turn one layer call into ONNX nodes. */
export interface EmitContext {
  builder: OnnxGraphBuilder;
  node: KerasGraphNode;
  layer: KerasLayer;
  className: string;
  /** The layer's tfjs config (camelCase keys, as getConfig() returns them). */
  config: Record<string, unknown>;
  /** The raw input slots (a pending pad is not emitted yet). */
  slots: Slot[];
  /** Input i as an emitted value (emits a pending Pad first). */
  value(index?: number): OnnxValue;
  /** Whether this call is the only reader of input i, so fusing it away changes nothing else. */
  isSoleReader(index?: number): boolean;
  /** The layer's weights in tfjs order (kernel, bias / gamma, beta, moving mean, moving variance). */
  weights(): KerasWeight[];
  /** Throws an OnnxExportError that names this layer. */
  fail(message: string, hint?: string): never;
}

/** Emits one layer call; returns what it produced. */
export type LayerEmitter = (ctx: EmitContext) => Slot;
