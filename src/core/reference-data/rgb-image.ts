/** Interleaved 3-channel pixel buffers and the one sampler every warp in this folder uses. */

/** Packed RGB pixels, row-major; Uint8 for decoded photos, Float32 while a swap is being composed. */
export interface RgbImage {
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
}

/** Bilinear sample at (x, y) in pixel-centre coordinates, clamped at the edges; writes 3 channels into `out[at..]`. */
export function sampleBilinear(image: RgbImage, x: number, y: number, out: Float32Array, at: number): void {
  const { data, width, height } = image;
  const fx = Math.min(Math.max(x - 0.5, 0), width - 1);
  const fy = Math.min(Math.max(y - 0.5, 0), height - 1);
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const ax = fx - x0;
  const ay = fy - y0;
  const i00 = (y0 * width + x0) * 3;
  const i10 = (y0 * width + x1) * 3;
  const i01 = (y1 * width + x0) * 3;
  const i11 = (y1 * width + x1) * 3;
  for (let c = 0; c < 3; c++) {
    const top = data[i00 + c] + (data[i10 + c] - data[i00 + c]) * ax;
    const bottom = data[i01 + c] + (data[i11 + c] - data[i01 + c]) * ax;
    out[at + c] = top + (bottom - top) * ay;
  }
}
