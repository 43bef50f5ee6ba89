/**
 * The class activation maps computed in TypeScript from the tfjs backbone's tap activations and the head, in float64:
 * the reference the ONNX graph's `cam` output is checked against (onnx/cam-graph.ts computes the same, see cam-parts.ts).
 */
import type * as Tfjs from "@tensorflow/tfjs";
import type { LoadedBackbone } from "../backbone/load-backbone";
import { innerFaceWindow } from "../shared/inner-face-window";
import { loadTensorflow } from "../shared/tensorflow";
import { camParts, type CamPart } from "./cam-parts";

/** The head's standardisation and weights (F x classes, row-major). */
export interface CamHead {
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
  weights: ArrayLike<number>;
  classes: number;
}

/** `count` NHWC RGB 0..255 images → count × classes × H × W map values (H = W = the backbone's input size). */
export async function camTfjs(backbone: LoadedBackbone, head: CamHead, images: Float32Array, count: number): Promise<Float32Array> {
  const { inputSize: size, scaling, taps } = backbone.spec;
  const tf = await loadTensorflow();
  const outputs = tf.tidy(() => {
    const input = tf.tensor4d(images, [count, size, size, 3]).mul(scaling.scale).add(scaling.offset);
    const out = backbone.featureModel.predict(input) as Tfjs.Tensor | Tfjs.Tensor[];
    return Array.isArray(out) ? out : [out];
  });
  try {
    const activations = await Promise.all(outputs.map(async (tensor) => ({ data: (await tensor.data()) as Float32Array, shape: tensor.shape.slice(1) })));
    const parts = camParts(activations.map((a, i) => ({ shape: a.shape, pooling: taps[i].pooling })));
    const out = new Float32Array(count * head.classes * size * size);
    for (let n = 0; n < count; n++) {
      for (const part of parts) {
        const { data, shape } = activations[part.tap];
        const [h, w, c] = shape;
        const grid = partGrid(part, data.subarray(n * h * w * c, (n + 1) * h * w * c), h, w, head);
        for (let k = 0; k < head.classes; k++) {
          const resized = resizeBilinear(grid.subarray(k * h * w, (k + 1) * h * w), h, w, size, size);
          const at = (n * head.classes + k) * size * size;
          for (let i = 0; i < size * size; i++) out[at + i] += resized[i];
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

/** Bilinear resize with half-pixel centres and clamped edges (ONNX Resize linear/half_pixel, tf.image.resizeBilinear's halfPixelCenters). */
export function resizeBilinear(src: ArrayLike<number>, h: number, w: number, H: number, W: number): Float64Array {
  const out = new Float64Array(H * W);
  const axis = (to: number, from: number): Array<[number, number, number]> => Array.from({ length: to }, (_, i) => {
    const at = Math.min(Math.max((i + 0.5) * (from / to) - 0.5, 0), from - 1);
    const lo = Math.floor(at);
    return [lo, Math.min(lo + 1, from - 1), at - lo];
  });
  const ys = axis(H, h);
  const xs = axis(W, w);
  for (let y = 0; y < H; y++) {
    const [y0, y1, fy] = ys[y];
    for (let x = 0; x < W; x++) {
      const [x0, x1, fx] = xs[x];
      const top = src[y0 * w + x0] * (1 - fx) + src[y0 * w + x1] * fx;
      const bottom = src[y1 * w + x0] * (1 - fx) + src[y1 * w + x1] * fx;
      out[y * W + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}
