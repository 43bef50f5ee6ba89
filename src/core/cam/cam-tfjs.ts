/**
 * The class activation maps computed in TypeScript from the tfjs backbone's tap activations and the head, in float64:
 * the reference the ONNX graph's `cam` output is checked against (onnx/cam-graph.ts computes the same, see cam-parts.ts).
 */
import type * as Tfjs from "@tensorflow/tfjs";
import type { LoadedBackbone } from "../backbone/load-backbone";
import { innerFaceWindow } from "../shared/inner-face-window";
import { loadTensorflow } from "../shared/tensorflow";
import { camGrid, camParts, type CamPart } from "./cam-parts";
import { resizeBilinear } from "./resize-map";

/** The head's standardisation and weights (F x classes, row-major). */
export interface CamHead {
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
  weights: ArrayLike<number>;
  classes: number;
}

/** `count` NHWC RGB 0..255 images → count × classes × h × w map values on the finest tap's grid (as the graph's `cam`). */
export async function camTfjs(backbone: LoadedBackbone, head: CamHead, images: Float32Array, count: number): Promise<Float32Array> {
  const { inputSize: size, scaling, taps } = backbone.spec;
  const tf = await loadTensorflow();
  const outputs = tf.tidy(() => {
    const input = tf.tensor4d(images, [count, size, size, 3]).mul(scaling.scale).add(scaling.offset);
    const out = backbone.featureModel.predict(input) as Tfjs.Tensor | Tfjs.Tensor[];
    return Array.isArray(out) ? out : [out];
  });
  try {
    const unique = await Promise.all(outputs.map(async (tensor) => ({ data: (await tensor.data()) as Float32Array, shape: tensor.shape.slice(1) })));
    // A layer tapped twice (face contrasts) is one output of the feature model: back to one entry per tap.
    const activations = taps.map((_, i) => unique[backbone.tapOutputs[i]]);
    const parts = camParts(activations.map((a, i) => ({ shape: a.shape, pooling: taps[i].pooling })));
    const { height: gh, width: gw } = camGrid(parts.map((part) => activations[part.tap].shape));
    const out = new Float32Array(count * head.classes * gh * gw);
    for (let n = 0; n < count; n++) {
      for (const part of parts) {
        const { data, shape } = activations[part.tap];
        const [h, w, c] = shape;
        const grid = partGrid(part, data.subarray(n * h * w * c, (n + 1) * h * w * c), h, w, head);
        for (let k = 0; k < head.classes; k++) {
          const resized = resizeBilinear(grid.subarray(k * h * w, (k + 1) * h * w), h, w, gh, gw);
          const at = (n * head.classes + k) * gh * gw;
          for (let i = 0; i < gh * gw; i++) out[at + i] += resized[i];
        }
      }
    }
    return out;
  } finally {
    outputs.forEach((tensor) => tensor.dispose());
  }
}

/** One part's map on its tap's grid, classes × h × w, from one image's NHWC activations. */
function partGrid(part: CamPart, a: Float32Array, h: number, w: number, head: CamHead): Float64Array {
  const { offset, channels: C } = part;
  const face = part.pooling === "face-avg" || part.pooling === "face-max";
  const win = face ? innerFaceWindow(h, w) : { y0: 0, y1: h, x0: 0, x1: w };
  const inside = (p: number): boolean => {
    const [y, x] = [Math.floor(p / w), p % w];
    return y >= win.y0 && y < win.y1 && x >= win.x0 && x < win.x1;
  };
  const area = (win.y1 - win.y0) * (win.x1 - win.x0);
  // share[c][p]: how much of channel c's term cell p carries, times the cell count (so the mean over cells is the term).
  const share = new Float64Array(C * h * w);
  for (let c = 0; c < C; c++) {
    if (part.pooling === "avg" || part.pooling === "face-avg") {
      for (let p = 0; p < h * w; p++) share[c * h * w + p] = inside(p) ? (h * w) / area : 0;
      continue;
    }
    let top = -Infinity;
    for (let p = 0; p < h * w; p++) if (inside(p)) top = Math.max(top, a[p * C + c]);
    const hits: number[] = [];
    for (let p = 0; p < h * w; p++) if (inside(p) && a[p * C + c] === top) hits.push(p);
    for (const p of hits) share[c * h * w + p] = (h * w) / hits.length;
  }
  const grid = new Float64Array(head.classes * h * w);
  for (let c = 0; c < C; c++) {
    const f = offset + c;
    for (let p = 0; p < h * w; p++) {
      const s = share[c * h * w + p];
      if (s === 0) continue;
      const centred = s * (a[p * C + c] - head.mean[f]) / head.std[f];
      for (let k = 0; k < head.classes; k++) grid[k * h * w + p] += centred * head.weights[f * head.classes + k];
    }
  }
  return grid;
}
