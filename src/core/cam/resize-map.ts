/** Activation maps from the graph's grid to the picture: the one resize the graph, the runners and the reference share. */

/** Sample positions along one axis: lower and upper source index and the upper one's weight. */
interface AxisSamples {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float64Array;
}

function axisSamples(to: number, from: number): AxisSamples {
  const samples = { lo: new Int32Array(to), hi: new Int32Array(to), frac: new Float64Array(to) };
  for (let i = 0; i < to; i++) {
    const at = Math.min(Math.max((i + 0.5) * (from / to) - 0.5, 0), from - 1);
    const lo = Math.floor(at);
    samples.lo[i] = lo;
    samples.hi[i] = Math.min(lo + 1, from - 1);
    samples.frac[i] = at - lo;
  }
  return samples;
}

/** Bilinear resize with half-pixel centres and clamped edges (ONNX Resize linear/half_pixel, tf.image.resizeBilinear's halfPixelCenters). */
export function resizeBilinear(src: ArrayLike<number>, h: number, w: number, H: number, W: number): Float64Array {
  const out = new Float64Array(H * W);
  const ys = axisSamples(H, h);
  const xs = axisSamples(W, w);
  for (let y = 0; y < H; y++) {
    const row0 = ys.lo[y] * w;
    const row1 = ys.hi[y] * w;
    const fy = ys.frac[y];
    for (let x = 0; x < W; x++) {
      const x0 = xs.lo[x];
      const x1 = xs.hi[x];
      const fx = xs.frac[x];
      const top = src[row0 + x0] * (1 - fx) + src[row0 + x1] * fx;
      const bottom = src[row1 + x0] * (1 - fx) + src[row1 + x1] * fx;
      out[y * W + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** One class's map of image n out of a `cam` output [count, classes, h, w], resized to height x width. */
export function classMapAt(cam: Float32Array, shape: readonly number[], n: number, k: number, height: number, width: number): Float64Array {
  const [, classes, h, w] = shape;
  const at = (n * classes + k) * h * w;
  return resizeBilinear(cam.subarray(at, at + h * w), h, w, height, width);
}
