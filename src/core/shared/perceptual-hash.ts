// DCT pHash rather than dHash: the signs of the lowest DCT frequencies survive JPEG recompression,
// rescaling and brightness shifts, which flip many of dHash's neighbour-pixel comparisons.

/** Interleaved 8-bit pixels as sharp's `.raw()` returns them. */
export interface RawPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

/**
 * Largest Hamming distance (of 64 bits) at which two images count as the same picture.
 * Measured on 40 makePhoto seeds: re-encoding at quality 60, scaling to 70 % and brightening by 10 % or +20 levels
 * moved the hash 0–6 bits, while the 780 pairs of different photos were 18–44 bits apart.
 * 10 sits between with headroom on both sides, and is the usual pHash cut-off; test/process-image.spec.ts guards it.
 */
export const NEAR_DUPLICATE_MAX_DISTANCE = 10;

/** A hash as stored: hex digits only. */
const HEX = /^[0-9a-f]*$/i;
/** Side of the greyscale thumbnail the DCT runs on. */
const SAMPLE_SIDE = 32;
/** Side of the block of lowest frequencies kept: 8 × 8 = 64 bits. */
const HASH_SIDE = 8;
/** COSINES[u][x] = cos((2x + 1)uπ / 2N), the DCT-II basis for the kept frequencies. */
const COSINES: Float64Array[] = Array.from({ length: HASH_SIDE }, (_, u) =>
  Float64Array.from({ length: SAMPLE_SIDE }, (_, x) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * SAMPLE_SIDE))),
);

/** 64-bit DCT perceptual hash of an image, as 16 hex characters. */
export async function perceptualHash(rgb: RawPixels): Promise<string> {
  const frequencies = lowFrequencies(greyscaleThumbnail(rgb));
  return bitsToHex(aboveMedian(frequencies));
}

/** Number of differing bits between two hashes of equal length. */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length || !HEX.test(a) || !HEX.test(b)) {
    throw new RangeError(`Cannot compare hashes "${a}" and "${b}": both must be hex strings of the same length.`);
  }
  // 8 hex digits (32 bits) at a time: deduplication compares every new image with every kept one.
  let distance = 0;
  for (let i = 0; i < a.length; i += 8) {
    distance += popCount32(parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16));
  }
  return distance;
}

/** Set bits in a 32-bit integer (SWAR popcount). */
function popCount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * Averages the luma of the image into a SAMPLE_SIDE² grid, ignoring aspect ratio so the hash describes layout.
 * Done in JS: a box average over ~120 k pixels costs ~0.4 ms of CPU where another sharp resize pass cost ~2.7 ms.
 */
function greyscaleThumbnail(pixels: RawPixels): Float64Array {
  const { data, width, height, channels } = pixels;
  if (channels < 1 || channels > 4) throw new RangeError(`Raw pixels must have 1 to 4 channels, not ${channels}.`);
  if (width < 1 || height < 1) throw new RangeError(`Raw pixels must be at least 1×1, not ${width}×${height}.`);
  if (data.length < width * height * channels) throw new RangeError(`Raw pixels hold ${data.length} bytes, fewer than ${width}×${height}×${channels}.`);
  const hasColour = channels >= 3;
  const thumbnail = new Float64Array(SAMPLE_SIDE * SAMPLE_SIDE);
  for (let cellY = 0; cellY < SAMPLE_SIDE; cellY++) {
    const [y0, y1] = cellSpan(cellY, height);
    for (let cellX = 0; cellX < SAMPLE_SIDE; cellX++) {
      const [x0, x1] = cellSpan(cellX, width);
      let sum = 0;
      for (let y = y0; y < y1; y++) {
        for (let at = (y * width + x0) * channels, end = (y * width + x1) * channels; at < end; at += channels) {
          sum += hasColour ? 0.299 * data[at] + 0.587 * data[at + 1] + 0.114 * data[at + 2] : data[at];
        }
      }
      thumbnail[cellY * SAMPLE_SIDE + cellX] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return thumbnail;
}

/** Source pixel range [start, end) covered by one thumbnail cell; never empty, so images under 32 px still work. */
function cellSpan(cell: number, size: number): [number, number] {
  const start = Math.min(size - 1, Math.floor((cell * size) / SAMPLE_SIDE));
  return [start, Math.max(start + 1, Math.floor(((cell + 1) * size) / SAMPLE_SIDE))];
}

/** The HASH_SIDE² lowest 2-D DCT-II coefficients of the thumbnail, row-major (unnormalised, like imagehash). */
function lowFrequencies(thumbnail: Float64Array): Float64Array {
  // Separable DCT: first along rows (only the kept column frequencies), then down the columns.
  const rowPass = new Float64Array(SAMPLE_SIDE * HASH_SIDE);
  for (let y = 0; y < SAMPLE_SIDE; y++) {
    for (let u = 0; u < HASH_SIDE; u++) {
      let sum = 0;
      for (let x = 0; x < SAMPLE_SIDE; x++) sum += thumbnail[y * SAMPLE_SIDE + x] * COSINES[u][x];
      rowPass[y * HASH_SIDE + u] = sum;
    }
  }
  const coefficients = new Float64Array(HASH_SIDE * HASH_SIDE);
  for (let v = 0; v < HASH_SIDE; v++) {
    for (let u = 0; u < HASH_SIDE; u++) {
      let sum = 0;
      for (let y = 0; y < SAMPLE_SIDE; y++) sum += rowPass[y * HASH_SIDE + u] * COSINES[v][y];
      coefficients[v * HASH_SIDE + u] = sum;
    }
  }
  return coefficients;
}

/** One bit per coefficient: set when it exceeds the median of all of them. */
function aboveMedian(values: Float64Array): boolean[] {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length / 2;
  const median = (sorted[middle - 1] + sorted[middle]) / 2;
  return Array.from(values, (value) => value > median);
}

/** Packs bits, most significant first, into hex characters. */
function bitsToHex(bits: boolean[]): string {
  let hex = "";
  for (let i = 0; i < bits.length; i += 4) {
    const nibble = (Number(bits[i]) << 3) | (Number(bits[i + 1]) << 2) | (Number(bits[i + 2]) << 1) | Number(bits[i + 3]);
    hex += nibble.toString(16);
  }
  return hex;
}
