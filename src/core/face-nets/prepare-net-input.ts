/**
 * face-api's NetInput.toBatchTensor in plain JS, straight into an NCHW float32 batch: a region of the picture is
 * padded with zeros to a square (after it, or centred), resized with tfjs's resizeBilinear (alignCorners and
 * halfPixelCenters off: source = output index × in/out) and normalised ((value − mean) / divisor).
 */

/** Packed pixels, 3 or 4 channels (alpha ignored). */
export interface NetPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: number;
}

/** An integer rectangle of the picture. */
export interface PixelRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How one net wants its input. */
export interface NetInputSpec {
  side: number;
  /** Pad both sides of the short dimension (landmarks) instead of only after it (detectors). */
  centre: boolean;
  mean: readonly [number, number, number];
  divisor: number;
}

/** Writes the region as one `side`×`side` NCHW image at `batchIndex` of `out`. */
export function prepareNetInput(pixels: NetPixels, region: PixelRegion, spec: NetInputSpec, out: Float32Array, batchIndex = 0): void {
  const { side, mean, divisor } = spec;
  const square = paddedSquare(pixels, region, spec.centre);
  const size = Math.max(region.width, region.height);
  const columns = axis(side, size);
  const rows = axis(side, size);
  const plane = side * side;
  const base = batchIndex * 3 * plane;
  for (let v = 0; v < side; v++) {
    const top = rows.first[v] * size * 3;
    const bottom = rows.second[v] * size * 3;
    const fy = rows.weight[v];
    for (let u = 0; u < side; u++) {
      const left = columns.first[u] * 3;
      const right = columns.second[u] * 3;
      const fx = columns.weight[u];
      const at = base + v * side + u;
      for (let k = 0; k < 3; k++) {
        const t = square[top + left + k] + (square[top + right + k] - square[top + left + k]) * fx;
        const b = square[bottom + left + k] + (square[bottom + right + k] - square[bottom + left + k]) * fx;
        out[at + k * plane] = (t + (b - t) * fy - mean[k]) / divisor;
      }
    }
  }
}

/**
 * padToSquare: the region copied into a zero square, round(diff / 2) zeros after it and the rest before it when
 * centred, all of them after it otherwise. Packed RGB.
 */
function paddedSquare(pixels: NetPixels, region: PixelRegion, centre: boolean): Float32Array {
  const size = Math.max(region.width, region.height);
  const diff = size - Math.min(region.width, region.height);
  const before = centre ? diff - Math.round(diff / 2) : 0;
  const offsetX = region.width < region.height ? before : 0;
  const offsetY = region.height < region.width ? before : 0;
  const square = new Float32Array(size * size * 3);
  const { data, width, channels } = pixels;
  for (let y = 0; y < region.height; y++) {
    let from = ((region.y + y) * width + region.x) * channels;
    let to = ((offsetY + y) * size + offsetX) * 3;
    for (let x = 0; x < region.width; x++, from += channels, to += 3) {
      square[to] = data[from];
      square[to + 1] = data[from + 1];
      square[to + 2] = data[from + 2];
    }
  }
  return square;
}

/** Source positions along one axis: tfjs's frac = i × size / side, first = floor(frac), second = min(size − 1, ceil(frac)). */
function axis(side: number, size: number): { first: Int32Array; second: Int32Array; weight: Float32Array } {
  const first = new Int32Array(side);
  const second = new Int32Array(side);
  const weight = new Float32Array(side);
  const scale = size / side;
  for (let i = 0; i < side; i++) {
    const frac = i * scale;
    first[i] = Math.floor(frac);
    second[i] = Math.min(size - 1, Math.ceil(frac));
    weight[i] = frac - first[i];
  }
  return { first, second, weight };
}
