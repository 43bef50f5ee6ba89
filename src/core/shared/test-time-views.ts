/**
 * Test-time augmentation (fastai's `learn.tta`): a model scores a picture as the mean of its logits over a few views
 * of it. Here the views are fixed (the picture, its mirror image, and both zoomed into the centre by the mean area of
 * the training's RandomResizedCrop(min_scale 0.5), 0.75), so the exported ONNX graph can make them itself and every
 * runner (predict, check, the Spaces) gets them without code of its own. Training makes the same views of its
 * validation pictures with renderTestTimeView, which reproduces the graph's Slice + Resize (linear, half_pixel) to
 * float rounding. Measured on same-person swaps of unseen faces (BENCHMARKS.md, "Test-time views").
 */

/** One view: mirrored or not, and the side of the centre window that is enlarged back to the full picture (1: the whole picture). */
export interface TestTimeView {
  flip: boolean;
  /** Side of the centre window as a fraction of the picture's side. */
  zoom: number;
}

/** sqrt(0.75): the window of the mean area RandomResizedCrop(min_scale = 0.5) takes in training (view-transform.ts). */
const MEAN_CROP_SIDE = Math.sqrt(0.75);

/** The views, the plain picture first. Changing them changes exported models and cached features: bump TEST_TIME_RECIPE. */
export const TEST_TIME_VIEWS: readonly TestTimeView[] = [
  { flip: false, zoom: 1 },
  { flip: true, zoom: 1 },
  { flip: false, zoom: MEAN_CROP_SIDE },
  { flip: true, zoom: MEAN_CROP_SIDE },
];

/** Names the views' recipe in cache file names and preprocess.json. */
export const TEST_TIME_RECIPE = "t1" as const;

/** The centre window of a side of `size` pixels at `zoom`: whole pixels, as the graph's Slice takes them. */
export function centreWindow(size: number, zoom: number): { start: number; end: number } {
  const side = Math.min(size, Math.max(1, Math.round(size * zoom)));
  const start = Math.floor((size - side) / 2);
  return { start, end: start + side };
}

/**
 * The view of an H·W·3 (NHWC, one picture) tensor: the centre window enlarged back to H×W by bilinear interpolation
 * with half-pixel centres (ONNX Resize linear/half_pixel, coordinates clamped at the edges), then mirrored.
 */
export function renderTestTimeView(params: { input: Float32Array; height: number; width: number; view: TestTimeView }): Float32Array {
  const { input, height, width, view } = params;
  const rows = centreWindow(height, view.zoom);
  const cols = centreWindow(width, view.zoom);
  const out = new Float32Array(height * width * 3);
  const rowTaps = bilinearTaps(rows.end - rows.start, height);
  const colTaps = bilinearTaps(cols.end - cols.start, width);
  // Offset of a window pixel (row, column) in the input.
  const offset = (row: number, column: number) => ((rows.start + row) * width + cols.start + column) * 3;
  for (let y = 0; y < height; y++) {
    const [y0, y1, fy] = rowTaps[y];
    for (let x = 0; x < width; x++) {
      const [x0, x1, fx] = colTaps[x];
      const [a, b, c, d] = [offset(y0, x0), offset(y0, x1), offset(y1, x0), offset(y1, x1)];
      const target = (y * width + (view.flip ? width - 1 - x : x)) * 3;
      for (let channel = 0; channel < 3; channel++) {
        const top = input[a + channel] + (input[b + channel] - input[a + channel]) * fx;
        const bottom = input[c + channel] + (input[d + channel] - input[c + channel]) * fx;
        out[target + channel] = top + (bottom - top) * fy;
      }
    }
  }
  return out;
}

/**
 * Log-softmax of the mean logits of a picture's views. Log-probabilities are logits shifted by a constant per view, so
 * their mean is the mean logits shifted too, and normalising it gives exactly what the exported graph computes (a
 * Softmax of the mean logits). One view returns its own log-probabilities.
 */
export function meanOfViews(views: readonly Float64Array[]): Float64Array {
  if (views.length === 1) return views[0];
  const classes = views[0].length;
  const mean = new Float64Array(classes);
  for (const view of views) for (let k = 0; k < classes; k++) mean[k] += view[k] / views.length;
  let top = -Infinity;
  for (const value of mean) top = Math.max(top, value);
  let sum = 0;
  for (const value of mean) sum += Math.exp(value - top);
  const logSum = top + Math.log(sum);
  for (let k = 0; k < classes; k++) mean[k] -= logSum;
  return mean;
}

/** For each output coordinate: the two source coordinates and the weight of the second (ONNX Resize, linear, half_pixel). */
function bilinearTaps(inSize: number, outSize: number): Array<[number, number, number]> {
  const scale = outSize / inSize;
  return Array.from({ length: outSize }, (_, o) => {
    const source = Math.min(Math.max((o + 0.5) / scale - 0.5, 0), inSize - 1);
    const low = Math.floor(source);
    const high = Math.min(low + 1, inSize - 1);
    return [low, high, source - low];
  });
}
