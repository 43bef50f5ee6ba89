/**
 * Cheap properties of a stored picture that can give a class away without any face in it: its size, its border
 * (letterboxing, frames, captions along an edge) and how many JPEG bytes each pixel takes (sharpness and noise:
 * blurred or re-encoded fakes compress better).
 */
import { promises as fs } from "node:fs";
import sharp from "sharp";

/** The numbers per cue, one row each. */
export interface PictureCues {
  size: [number, number, number];
  border: number[];
  bytesPerPixel: [number];
}

/** The outer ring this many pixels wide is "the border". */
const RING = 4;

/** Reads the picture once and measures every cue. */
export async function pictureCues(file: string): Promise<PictureCues> {
  const bytes = await fs.readFile(file);
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  const sums = [0, 0, 0];
  const squares = [0, 0, 0];
  let count = 0;
  for (let y = 0; y < height; y++) {
    const edgeRow = y < RING || y >= height - RING;
    for (let x = 0; x < width; x++) {
      if (!edgeRow && x >= RING && x < width - RING) continue;
      const at = (y * width + x) * channels;
      for (let c = 0; c < 3; c++) {
        const value = data[at + Math.min(c, channels - 1)];
        sums[c] += value;
        squares[c] += value * value;
      }
      count += 1;
    }
  }
  const means = sums.map((sum) => sum / count);
  const spreads = squares.map((square, c) => Math.sqrt(Math.max(0, square / count - means[c] ** 2)));
  return { size: [width, height, width / height], border: [...means, ...spreads], bytesPerPixel: [bytes.length / (width * height)] };
}
