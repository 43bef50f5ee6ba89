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
  /** Write only the square's first `rows` rows and `cols` columns, as a rows×cols image (default: all of it). */
  rows?: number;
  cols?: number;
  /** Pad both sides of the short dimension (landmarks) instead of only after it (detectors). */
  centre: boolean;
  mean: readonly [number, number, number];
  divisor: number;
}

/** Writes the region as one `side`×`side` NCHW image (or its top-left rows×cols) at `batchIndex` of `out`. */
export function prepareNetInput(pixels: NetPixels, region: PixelRegion, spec: NetInputSpec, out: Float32Array, batchIndex = 0): void {
  const { side, mean, divisor } = spec;
  const size = Math.max(region.width, region.height);
  const diff = size - Math.min(region.width, region.height);
  // padToSquare: round(diff / 2) zeros after the region and the rest before it when centred, all of them after otherwise.
  const before = spec.centre ? diff - Math.round(diff / 2) : 0;
  const { data, width, channels } = pixels;
  // Byte offsets of the sampled columns (within a row) and rows of the picture; −1 where the square is padding.
  const columns = axis(side, size, region.width < region.height ? before : 0, region.width, region.x, channels);
  const rows = axis(side, size, region.height < region.width ? before : 0, region.height, region.y, width * channels);
  const rowCount = spec.rows ?? side;
  const colCount = spec.cols ?? side;
  const plane = rowCount * colCount;
  const base = batchIndex * 3 * plane;
  const [mean0, mean1, mean2] = mean;
  for (let v = 0; v < rowCount; v++) {
    const top = rows.first[v];
    const bottom = rows.second[v];
    const fy = rows.weight[v];
    const rowAt = base + v * colCount;
    for (let u = 0; u < colCount; u++) {
      const left = columns.first[u];
      const right = columns.second[u];
      const fx = columns.weight[u];
      const at = rowAt + u;
      if (top < 0 || bottom < 0 || left < 0 || right < 0) {
        writePaddedPixel(data, top, bottom, left, right, fx, fy, spec, out, at, plane);
        continue;
      }
      // Inside the picture (nearly every sample): no padding tests, channels unrolled; the arithmetic is
      // writePaddedPixel's, operation for operation, so both give the same float32 bit for bit.
      const tl = top + left;
      const tr = top + right;
      const bl = bottom + left;
      const br = bottom + right;
      let t = data[tl] + (data[tr] - data[tl]) * fx;
      out[at] = (t + (data[bl] + (data[br] - data[bl]) * fx - t) * fy - mean0) / divisor;
      t = data[tl + 1] + (data[tr + 1] - data[tl + 1]) * fx;
      out[at + plane] = (t + (data[bl + 1] + (data[br + 1] - data[bl + 1]) * fx - t) * fy - mean1) / divisor;
      t = data[tl + 2] + (data[tr + 2] - data[tl + 2]) * fx;
      out[at + 2 * plane] = (t + (data[bl + 2] + (data[br + 2] - data[bl + 2]) * fx - t) * fy - mean2) / divisor;
    }
  }
}

/** One sample of the square whose 2×2 neighbourhood reaches into the zero padding (a zero stands for each padded pixel). */
function writePaddedPixel(data: NetPixels["data"], top: number, bottom: number, left: number, right: number, fx: number, fy: number, spec: NetInputSpec, out: Float32Array, at: number, plane: number): void {
  for (let k = 0; k < 3; k++) {
    const a = top < 0 || left < 0 ? 0 : data[top + left + k];
    const b = top < 0 || right < 0 ? 0 : data[top + right + k];
    const c = bottom < 0 || left < 0 ? 0 : data[bottom + left + k];
    const d = bottom < 0 || right < 0 ? 0 : data[bottom + right + k];
    const t = a + (b - a) * fx;
    out[at + k * plane] = (t + (c + (d - c) * fx - t) * fy - spec.mean[k]) / spec.divisor;
  }
}

/**
 * Sample positions along one axis of the padded square, as tfjs's resizeBilinear takes them (frac = i × size /
 * side, first = floor(frac), second = min(size − 1, ceil(frac))), turned into byte offsets in the picture (−1 in
 * the padding: `offset` zeros before the region's `extent` pixels, which start at picture index `start`).
 */
function axis(side: number, size: number, offset: number, extent: number, start: number, stride: number): { first: Int32Array; second: Int32Array; weight: Float32Array } {
  const first = new Int32Array(side);
  const second = new Int32Array(side);
  const weight = new Float32Array(side);
  const scale = size / side;
  const toOffset = (i: number) => (i >= offset && i < offset + extent ? (start + i - offset) * stride : -1);
  for (let i = 0; i < side; i++) {
    const frac = i * scale;
    const low = Math.floor(frac);
    first[i] = toOffset(low);
    second[i] = toOffset(Math.min(size - 1, Math.ceil(frac)));
    weight[i] = frac - low;
  }
  return { first, second, weight };
}
