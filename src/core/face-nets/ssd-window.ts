/**
 * The SSD sees a picture padded to a square (after its short side) and resized to 512×512, so a 3:2 landscape
 * picture leaves a third of the input zero padding, and a third of the SSD's work spent on it. The window is the
 * part of the square that holds the picture, rounded up to whole 64-pixel steps (conv 13 and the first extra
 * layer then lie on the same grid as in the full square); the SSD runs on the window alone and each of its
 * outputs is decoded against the 512 square's anchor at the same map, row and column. On the reference set the
 * faces, boxes, scores and landmarks are the full square's to 0.01 px (test/face-nets.spec.ts keeps them to face-api's).
 */

/** Cells across each prediction map at 512 (conv 11 at stride 16, conv 13 at 32, then four halvings) and box shapes per cell. */
const CELLS_AT_512 = [32, 16, 8, 4, 2, 1];
const SHAPES_PER_CELL = [3, 6, 6, 6, 6, 6];
/** face-api's SSD input side. */
export const SSD_SIDE = 512;
const WINDOW_STEP = 64;

/** Rows and columns of the 512 square the SSD runs on for a width×height picture. */
export function ssdWindow(width: number, height: number): { rows: number; cols: number } {
  // computeReshapedDimensions: the long side becomes 512, the short one round(short × 512 / long).
  const scale = SSD_SIDE / Math.max(width, height);
  const round = (extent: number) => Math.min(SSD_SIDE, Math.ceil(Math.round(extent * scale) / WINDOW_STEP) * WINDOW_STEP);
  return { rows: round(height), cols: round(width) };
}

const anchorsByWindow = new Map<string, Float32Array>();

/** The 512 anchors ([top, left, bottom, right], 4 per box) that a rows×cols window's outputs line up with, in its output order. */
export function ssdWindowAnchors(anchorsAt512: Float32Array, rows: number, cols: number): Float32Array {
  if (rows === SSD_SIDE && cols === SSD_SIDE) return anchorsAt512;
  const key = `${rows}x${cols}`;
  let anchors = anchorsByWindow.get(key);
  if (anchors) return anchors;
  const picked: number[] = [];
  let mapRows = rows;
  let mapCols = cols;
  // The first convolution and depthwise layers 2, 4 and 6 halve the map ("same" padding rounds up).
  for (let halving = 0; halving < 4; halving++) [mapRows, mapCols] = [Math.ceil(mapRows / 2), Math.ceil(mapCols / 2)];
  let first = 0;
  for (let map = 0; map < CELLS_AT_512.length; map++) {
    if (map > 0) [mapRows, mapCols] = [Math.ceil(mapRows / 2), Math.ceil(mapCols / 2)];
    const cells = CELLS_AT_512[map];
    const shapes = SHAPES_PER_CELL[map];
    for (let row = 0; row < mapRows; row++) for (let col = 0; col < mapCols; col++) for (let shape = 0; shape < shapes; shape++) {
      picked.push(first + (row * cells + col) * shapes + shape);
    }
    first += cells * cells * shapes;
  }
  anchors = new Float32Array(picked.length * 4);
  picked.forEach((index, i) => anchors!.set(anchorsAt512.subarray(index * 4, index * 4 + 4), i * 4));
  anchorsByWindow.set(key, anchors);
  return anchors;
}
