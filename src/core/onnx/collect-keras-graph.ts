/**
 * Walks a tfjs LayersModel backwards from the requested tensors and lists only the layer calls they need,
 * in an order where every call comes after the calls it reads (pruning and topological sort in one pass).
 * Nested models (a MobileNetV2 used as one layer of a bigger model) are inlined.
 */
import type { LayersModel, SymbolicTensor } from "@tensorflow/tfjs";
import { OnnxExportError } from "./onnx-errors";

/** A tfjs layer, named through LayersModel because tfjs does not export the Layer type itself. */
export type KerasLayer = LayersModel["layers"][number];

/** A layer that is itself a model (Functional or Sequential) with its own inputs and outputs. */
interface KerasContainer extends KerasLayer {
  layers: KerasLayer[];
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
}

/** One call of one layer that the requested outputs depend on. */
export interface KerasGraphNode {
  layer: KerasLayer;
  /** Keys of the values the call reads, in call order. */
  inputs: string[];
  /** Key of the one value it writes. */
  output: string;
  /** Readable, scope-qualified name ("outer/inner/block_1_expand") for the ONNX nodes it becomes. */
  name: string;
}

export interface KerasGraph {
  /** Needed layer calls in dependency order. */
  nodes: KerasGraphNode[];
  /** Keys of the requested values, in the order asked for. */
  targets: string[];
  /** How many times each key is read, counting the targets, so converters know when fusing is safe. */
  readers: Map<string, number>;
}

export interface CollectKerasGraphParams {
  model: LayersModel;
  /** Layer names whose outputs are wanted, or "final" for the model's own outputs. */
  taps: string[] | "final";
  /** Key that stands for the model's single input (the already scaled, NCHW image). */
  inputKey: string;
}

interface Scope {
  prefix: string;
  /** Symbolic tensor id → key, for the inputs of the (nested) model this scope walks. */
  bindings: Map<number, string>;
}

/** Lists the layer calls the requested outputs need, each once, in dependency order. */
export function collectKerasGraph(params: CollectKerasGraphParams): KerasGraph {
  const { model } = params;
  if (model.inputs.length !== 1) {
    throw new OnnxExportError(`The model has ${model.inputs.length} inputs; the exporter handles exactly one image input.`, "onnx-invalid-params");
  }
  const walker = new Walker();
  const root: Scope = { prefix: "", bindings: new Map([[model.inputs[0].id, params.inputKey]]) };
  const targets = params.taps === "final"
    ? model.outputs.map((tensor) => walker.resolve(tensor, root))
    : params.taps.map((name) => walker.locate(model as unknown as KerasContainer, name, root) ?? throwUnknownTap(model, name));
  const readers = new Map<string, number>();
  for (const key of [...walker.nodes.flatMap((node) => node.inputs), ...targets]) readers.set(key, (readers.get(key) ?? 0) + 1);
  return { nodes: walker.nodes, targets, readers };
}

/** Depth-first walker with a memo, so shared sub-graphs (residual branches) are emitted once. */
class Walker {
  readonly nodes: KerasGraphNode[] = [];
  private readonly done = new Map<string, string>();

  /** The key of a symbolic tensor, adding the calls that produce it (and their inputs) first. */
  resolve(tensor: SymbolicTensor, scope: Scope): string {
    const bound = scope.bindings.get(tensor.id);
    if (bound !== undefined) return bound;
    const layer = tensor.sourceLayer as KerasLayer;
    const key = `${scope.prefix}${layer.name}#${tensor.nodeIndex}:${tensor.tensorIndex}`;
    const known = this.done.get(key);
    if (known !== undefined) return known;
    const result = this.produce(tensor, layer, scope, key);
    this.done.set(key, result);
    return result;
  }

  /** Finds a layer by name (descending into nested models) and resolves its single output. */
  locate(container: KerasContainer, name: string, scope: Scope): string | undefined {
    for (const layer of container.layers) {
      if (layer.name === name) return this.resolve(singleCall(layer).outputTensors[0], scope);
      if (isContainer(layer) && containsLayer(layer, name)) {
        return this.locate(layer, name, this.innerScope(layer, singleCall(layer), scope));
      }
    }
    return undefined;
  }

  /** Adds the call that writes `tensor`, or inlines the nested model that does. */
  private produce(tensor: SymbolicTensor, layer: KerasLayer, scope: Scope, key: string): string {
    const call = layer.inboundNodes[tensor.nodeIndex];
    if (layer.getClassName() === "InputLayer" || !call) {
      throw new OnnxExportError(
        `Layer '${layer.name}' is an input the exporter cannot feed; only the model's single image input is supported.`,
        "onnx-invalid-params", undefined, layer.name);
    }
    if (isContainer(layer)) return this.resolve(layer.outputs[tensor.tensorIndex], this.innerScope(layer, call, scope));
    if (tensor.tensorIndex !== 0 || call.outputTensors.length !== 1) {
      throw new OnnxExportError(`Layer '${layer.name}' (${layer.getClassName()}) has several outputs, which the exporter does not support.`, "onnx-unsupported-layer", undefined, layer.name);
    }
    const inputs = call.inputTensors.map((input) => this.resolve(input, scope));
    this.nodes.push({ layer, inputs, output: key, name: `${scope.prefix}${layer.name}` });
    return key;
  }

  /** The scope inside a nested model, its inputs bound to the keys of what the outer call fed it. */
  private innerScope(container: KerasContainer, call: KerasLayer["inboundNodes"][number], scope: Scope): Scope {
    const bindings = new Map<number, string>();
    container.inputs.forEach((input, i) => bindings.set(input.id, this.resolve(call.inputTensors[i], scope)));
    return { prefix: `${scope.prefix}${container.name}/`, bindings };
  }
}

/** A nested model also keeps a call linking its own inputs to outputs; that one has no inbound layers. */
function realCalls(layer: KerasLayer): KerasLayer["inboundNodes"] {
  return isContainer(layer) ? layer.inboundNodes.filter((call) => call.inboundLayers.length > 0) : layer.inboundNodes;
}

/** The one call of a tapped layer; a layer used twice has two outputs and the tap would be ambiguous. */
function singleCall(layer: KerasLayer): KerasLayer["inboundNodes"][number] {
  const calls = realCalls(layer);
  if (calls.length !== 1) {
    throw new OnnxExportError(`Layer '${layer.name}' is called ${calls.length} times in the model, so a tap on it is ambiguous.`,
      "onnx-unknown-tap", "Tap a layer that is used exactly once.", layer.name);
  }
  return calls[0];
}

/** Whether a layer is a whole model used as a layer. */
function isContainer(layer: KerasLayer): layer is KerasContainer {
  const candidate = layer as Partial<KerasContainer>;
  return Array.isArray(candidate.layers) && Array.isArray(candidate.inputs) && Array.isArray(candidate.outputs);
}

/** Whether a layer of this name exists anywhere inside the container. */
function containsLayer(container: KerasContainer, name: string): boolean {
  return container.layers.some((layer) => layer.name === name || (isContainer(layer) && containsLayer(layer, name)));
}

/** Throws the unknown-tap error with a few real layer names, so a typo is easy to spot. */
function throwUnknownTap(model: LayersModel, name: string): never {
  const names = model.layers.map((layer) => layer.name);
  const similar = names.filter((candidate) => candidate.includes(name.split("_").slice(0, 2).join("_"))).slice(0, 8);
  throw new OnnxExportError(`The model has no layer named '${name}' to take features from.`, "onnx-unknown-tap",
    `Layer names look like: ${(similar.length > 0 ? similar : names.slice(-8)).join(", ")}.`, name);
}
