/** Turns the collected Keras layer calls into ONNX nodes, one emitter per layer class. */
import { basicEmitters } from "./basic-emitters";
import type { KerasGraph, KerasGraphNode } from "./collect-keras-graph";
import { convEmitters } from "./conv-emitters";
import type { EmitContext, KerasWeight, LayerEmitter, OnnxValue, Slot } from "./emit-context";
import { OnnxExportError } from "./onnx-errors";
import type { OnnxGraphBuilder } from "./onnx-graph-builder";

const emitters: Record<string, LayerEmitter> = { ...convEmitters, ...basicEmitters };

export interface EmitKerasGraphParams {
  builder: OnnxGraphBuilder;
  graph: KerasGraph;
  /** The value bound to the graph's input key (the scaled NCHW image). */
  inputKey: string;
  input: OnnxValue;
}

/** Emits every collected layer call and returns the requested values, in the order the graph lists its targets. */
export function emitKerasGraph(params: EmitKerasGraphParams): OnnxValue[] {
  const { builder, graph } = params;
  const slots = new Map<string, Slot>([[params.inputKey, { value: params.input }]]);
  for (const node of graph.nodes) {
    const emitter = emitters[node.layer.getClassName()] ?? unsupported;
    slots.set(node.output, emitter(createContext(builder, graph, node, slots)));
  }
  return graph.targets.map((key) => materialise(builder, slots.get(key) as Slot));
}

/** Builds the context one emitter sees. */
function createContext(builder: OnnxGraphBuilder, graph: KerasGraph, node: KerasGraphNode, slots: Map<string, Slot>): EmitContext {
  const className = node.layer.getClassName();
  const fail = (message: string, hint?: string): never => {
    throw new OnnxExportError(`Layer '${node.name}' (${className}) ${message}`, "onnx-unsupported-layer", hint, node.layer.name);
  };
  const inputSlots = node.inputs.map((key) => slots.get(key) as Slot);
  return {
    builder,
    node,
    layer: node.layer,
    className,
    config: node.layer.getConfig() as Record<string, unknown>,
    slots: inputSlots,
    value: (index = 0) => materialise(builder, inputSlots[index] ?? fail(`has no input ${index}.`)),
    isSoleReader: (index = 0) => graph.readers.get(node.inputs[index]) === 1,
    weights: () => readWeights(node),
    fail,
  };
}

/** Emits a slot's pending Pad (once) and returns its value. */
function materialise(builder: OnnxGraphBuilder, slot: Slot): OnnxValue {
  const pending = slot.pendingPad;
  if (pending) {
    const [top, left, bottom, right] = pending.pads;
    // Opset 13 Pad takes the amounts as an int64 input: begins for N, C, H, W then ends.
    const pads = builder.addInt64(`${slot.value.name}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
    builder.addNamedNode("Pad", [pending.source.name, pads], slot.value.name, { mode: { s: "constant" } });
    slot.pendingPad = undefined;
  }
  return slot.value;
}

/** The layer's weights as float32 arrays with their Keras shapes (tfjs variables are read, not copied or disposed). */
function readWeights(node: KerasGraphNode): KerasWeight[] {
  return node.layer.getWeights().map((tensor) => {
    const data = tensor.dataSync();
    return { data: data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>), shape: tensor.shape };
  });
}

/** The emitter for layer classes nobody handles: a clear error naming the layer and its type. */
function unsupported(ctx: EmitContext): never {
  return ctx.fail(
    "is a layer type the ONNX exporter does not support.",
    `Supported layer types: ${Object.keys(emitters).sort().join(", ")}. Take features from a layer before it, or extend src/core/onnx.`,
  );
}
