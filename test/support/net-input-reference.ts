/**
 * face-api's NetInput.toBatchTensor for one region written sample by sample from its definition — pad to a square
 * with zeros, tfjs's resizeBilinear (source = index × size / side), (value − mean) / divisor — with no lookup tables
 * and no fast path: the reference prepareNetInput (src/core/face-nets/prepare-net-input.ts) is held to bit for bit.
 */
import type { NetInputSpec, NetPixels, PixelRegion } from "../../src/core/face-nets/prepare-net-input";

export function netInputReference(pixels: NetPixels, region: PixelRegion, spec: NetInputSpec): Float32Array {
  const { side, mean, divisor } = spec;
  const size = Math.max(region.width, region.height);
  const diff = size - Math.min(region.width, region.height);
  const before = spec.centre ? diff - Math.round(diff / 2) : 0;
  const padX = region.width < region.height ? before : 0;
  const padY = region.height < region.width ? before : 0;
  // A pixel of the padded square: the region's pixel, or 0 in the padding.
  const at = (x: number, y: number, k: number) => {
    const [px, py] = [x - padX, y - padY];
    if (px < 0 || py < 0 || px >= region.width || py >= region.height) return 0;
    return pixels.data[((region.y + py) * pixels.width + region.x + px) * pixels.channels + k];
  };
  const scale = size / side;
  // tfjs's sample: floor and min(size − 1, ceil) of index × scale, the weight kept as a float32.
  const sample = (i: number) => ({ low: Math.floor(i * scale), high: Math.min(size - 1, Math.ceil(i * scale)), weight: Math.fround(i * scale - Math.floor(i * scale)) });
  const rows = spec.rows ?? side;
  const cols = spec.cols ?? side;
  const out = new Float32Array(3 * rows * cols);
  for (let v = 0; v < rows; v++) {
    const y = sample(v);
    for (let u = 0; u < cols; u++) {
      const x = sample(u);
      for (let k = 0; k < 3; k++) {
        const top = at(x.low, y.low, k) + (at(x.high, y.low, k) - at(x.low, y.low, k)) * x.weight;
        const bottom = at(x.low, y.high, k) + (at(x.high, y.high, k) - at(x.low, y.high, k)) * x.weight;
        out[k * rows * cols + v * cols + u] = (top + (bottom - top) * y.weight - mean[k]) / divisor;
      }
    }
  }
  return out;
}
