/**
 * The `cam` output of an exported model: class activation maps for every class, [batch, classes, h, w] on the finest
 * tap's grid (see cam/cam-parts.ts for the arithmetic; the runner resizes it to the picture, cam/resize-map.ts).
 * Built from the same tap values the features are pooled from, so the map costs a few 1x1 convolutions and small
 * resizes on top of the backbone. ONNX Runtime computes it on every run, asked for or not, so the nodes are kept few.
 */
import { camGrid, camParts, type CamPart } from "../cam/cam-parts";
import { innerFaceWindow } from "../shared/inner-face-window";
import type { OnnxValue } from "./emit-context";
import type { OnnxGraphBuilder } from "./onnx-graph-builder";

export interface CamGraphParams {
  builder: OnnxGraphBuilder;
  /** Tap values (NCHW image values, shape [h, w, C]; or vectors) and their poolings, in feature order. */
  taps: Array<{ value: OnnxValue; pooling: CamPart["pooling"][] }>;
  head: { mean: Float32Array; std: Float32Array; weights: Float32Array; classes: number };
  /** The output's reserved name. */
  output: string;
}

/** Emits the map nodes; returns the map's grid [h, w], or undefined (and emits nothing) when no tap has a place in the picture. */
export function emitCamGraph(params: CamGraphParams): [number, number] | undefined {
  const { builder, head } = params;
  const parts = camParts(params.taps.map((tap) => ({ shape: tap.value.shape, pooling: tap.pooling })));
  if (parts.length === 0) return undefined;
  const input = camGrid(parts.map((part) => params.taps[part.tap].value.shape));
  // Parts of one resolution are summed before the single resize they share.
  const byGrid = new Map<string, { h: number; w: number; maps: string[] }>();
  for (const part of parts) {
    const value = params.taps[part.tap].value;
    const [h, w] = value.shape;
    const key = `${h}x${w}`;
    const grid = byGrid.get(key) ?? { h, w, maps: [] };
    grid.maps.push(partMap(builder, part, value, head));
    byGrid.set(key, grid);
  }
  const resized = [...byGrid.values()].map((grid) => {
    const sum = grid.maps.length === 1 ? grid.maps[0] : builder.addNode("Sum", grid.maps, `cam/${grid.h}x${grid.w}`);
    if (grid.h === input.height && grid.w === input.width) return sum;
    const scales = builder.addFloat(`cam/${grid.h}x${grid.w}/scales`, Float32Array.of(1, 1, input.height / grid.h, input.width / grid.w), [4]).name;
    return builder.addNode("Resize", [sum, "", scales], `cam/${grid.h}x${grid.w}/resized`, {
      mode: { s: "linear" },
      coordinate_transformation_mode: { s: "half_pixel" },
    });
  });
  builder.addNamedNode(resized.length === 1 ? "Identity" : "Sum", resized, params.output);
  return [input.height, input.width];
}

/**
 * One part's map at its tap's grid: [batch, classes, h, w]. The standardisation's mean is folded into the
 * convolution's bias (avg) or into a per-channel factor (max), so no node walks the whole tap twice: these nodes run
 * on every prediction, whether `cam` is asked for or not.
 */
function partMap(builder: OnnxGraphBuilder, part: CamPart, value: OnnxValue, head: CamGraphParams["head"]): string {
  const [h, w] = value.shape;
  const { offset, channels } = part;
  const base = `cam/${value.name}/${part.pooling}`;
  // Conv weights [classes, C, 1, 1]: w_fk / std_f.
  const kernel = new Float32Array(head.classes * channels);
  for (let k = 0; k < head.classes; k++) {
    for (let c = 0; c < channels; c++) kernel[k * channels + c] = head.weights[(offset + c) * head.classes + k] / head.std[offset + c];
  }
  const weights = builder.addFloat(`${base}/weights`, kernel, [head.classes, channels, 1, 1]).name;
  const window = part.pooling === "face-avg" || part.pooling === "face-max" ? innerFaceWindow(h, w) : { y0: 0, y1: h, x0: 0, x1: w };
  const area = (window.y1 - window.y0) * (window.x1 - window.x0);
  const inWindow = (scale: number): Float32Array => Float32Array.from({ length: h * w }, (_, i) => {
    const [y, x] = [Math.floor(i / w), i % w];
    return y >= window.y0 && y < window.y1 && x >= window.x0 && x < window.x1 ? scale : 0;
  });
  if (part.pooling === "avg" || part.pooling === "face-avg") {
    // Σ_c w'_kc (a_c − mean_c) = conv(a) − Σ_c w'_kc mean_c: the mean becomes the bias.
    const bias = new Float32Array(head.classes);
    for (let k = 0; k < head.classes; k++) {
      for (let c = 0; c < channels; c++) bias[k] -= kernel[k * channels + c] * head.mean[offset + c];
    }
    const map = builder.addNode("Conv", [value.name, weights, builder.addFloat(`${base}/bias`, bias, [head.classes]).name], `${base}/map`);
    if (part.pooling === "avg") return map;
    return builder.addNode("Mul", [map, builder.addFloat(`${base}/window`, inWindow((h * w) / area), [1, 1, h, w]).name], `${base}/map-in-window`);
  }
  // The maximum's cell(s) hold the pooled maximum (of the window, for face-max), so there (a − mean) is (max − mean),
  // one number per channel: the hits times (max − mean) · cells / ties carry the term, shared among ties.
  let source = value.name;
  if (part.pooling === "face-max") {
    source = builder.addNode("Slice", [value.name, builder.addInt64(`${base}/starts`, [window.y0, window.x0]), builder.addInt64(`${base}/ends`, [window.y1, window.x1]), builder.addInt64(`${base}/axes`, [2, 3])], `${base}/window`);
  }
  const top = builder.addNode("GlobalMaxPool", [source], `${base}/max`);
  let hits = builder.addNode("Cast", [builder.addNode("Equal", [value.name, top], `${base}/is-max`)], `${base}/hits`, { to: { i: 1 } });
  if (part.pooling === "face-max") hits = builder.addNode("Mul", [hits, builder.addFloat(`${base}/mask`, inWindow(1), [1, 1, h, w]).name], `${base}/hits-in-window`);
  const count = builder.addNode("ReduceSum", [hits, builder.addInt64(`${base}/axes-hw`, [2, 3])], `${base}/count`, { keepdims: { i: 1 } });
  const mean = builder.addFloat(`${base}/mean`, head.mean.slice(offset, offset + channels), [1, channels, 1, 1]).name;
  const centredTop = builder.addNode("Sub", [top, mean], `${base}/max-centred`);
  const perHit = builder.addNode("Div", [builder.addNode("Mul", [centredTop, builder.floatScalar(h * w)], `${base}/max-scaled`), count], `${base}/per-hit`);
  const spread = builder.addNode("Mul", [hits, perHit], `${base}/spread`);
  return builder.addNode("Conv", [spread, weights], `${base}/map`);
}
