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
  // Bilinear sampling is separable: each picture row the samples read is first interpolated across, at every
  // sampled column (a zero stands for each padded pixel, a zero row for a padded row), then rows are mixed. Each value
  // comes from the operations of a sample-by-sample bilinear resize, in its order, so the float32 is the same bit for bit.
  const across = colCount * 3;
  // At most two picture rows per output row.
  if (scratch.length < 2 * rowCount * across) scratch = new Float64Array(2 * rowCount * across);
  const interpolated = scratch;
  // Rows are interpolated in sample order; a row read again (by the next sample, or as the next one's top) is reused.
  const slotOf = new Map<number, number>();
  const slotFor = (offset: number): number => {
    let slot = slotOf.get(offset);
    if (slot !== undefined) return slot;
    slot = slotOf.size * across;
    slotOf.set(offset, slot);
    if (offset < 0) interpolated.fill(0, slot, slot + across);
    else interpolateRow(data, offset, columns, colCount, interpolated, slot);
    return slot;
  };
  const [mean0, mean1, mean2] = mean;
  for (let v = 0; v < rowCount; v++) {
    const top = slotFor(rows.first[v]);
    const bottom = slotFor(rows.second[v]);
    const fy = rows.weight[v];
    const rowAt = base + v * colCount;
    for (let u = 0, at = rowAt, k = 0; u < colCount; u++, at++, k += 3) {
      let t = interpolated[top + k];
      out[at] = (t + (interpolated[bottom + k] - t) * fy - mean0) / divisor;
      t = interpolated[top + k + 1];
      out[at + plane] = (t + (interpolated[bottom + k + 1] - t) * fy - mean1) / divisor;
      t = interpolated[top + k + 2];
      out[at + 2 * plane] = (t + (interpolated[bottom + k + 2] - t) * fy - mean2) / divisor;
    }
  }
}

/** prepareNetInput's rows interpolated across, reused from call to call (the function is synchronous). */
let scratch = new Float64Array(0);

/** One picture row (at byte offset `row`) interpolated at every sampled column, 3 channels, into `into` from `at`. */
function interpolateRow(data: NetPixels["data"], row: number, columns: ReturnType<typeof axis>, count: number, into: Float64Array, at: number): void {
  for (let u = 0; u < count; u++, at += 3) {
    const left = columns.first[u];
    const right = columns.second[u];
    const fx = columns.weight[u];
    if (left < 0 || right < 0) {
      for (let k = 0; k < 3; k++) {
        const a = left < 0 ? 0 : data[row + left + k];
        const b = right < 0 ? 0 : data[row + right + k];
        into[at + k] = a + (b - a) * fx;
      }
      continue;
    }
    const l = row + left;
    const r = row + right;
    into[at] = data[l] + (data[r] - data[l]) * fx;
    into[at + 1] = data[l + 1] + (data[r + 1] - data[l + 1]) * fx;
    into[at + 2] = data[l + 2] + (data[r + 2] - data[l + 2]) * fx;
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
