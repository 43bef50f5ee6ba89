/** Activation maps from the graph's grid to the picture: the one resize the graph, the runners and the reference share. */

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

/** One class's map of image n out of a `cam` output [count, classes, h, w], resized to height x width. */
export function classMapAt(cam: Float32Array, shape: readonly number[], n: number, k: number, height: number, width: number): Float64Array {
  const [, classes, h, w] = shape;
  const at = (n * classes + k) * h * w;
  return resizeBilinear(cam.subarray(at, at + h * w), h, w, height, width);
}
