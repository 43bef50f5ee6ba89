/** Per-feature standardisation (sklearn StandardScaler semantics): x' = (x - mean) / std, stats from chosen rows. */

/** The statistics and a compact standardised copy of the rows asked for. */
export interface StandardisedRows {
  mean: Float32Array;
  std: Float32Array;
  /** rows.length x featureLength, in the order of `rows`. */
  data: Float32Array;
  /** Original row → row in `data`. */
  index: Map<number, number>;
}

/** Below this a feature is constant: its std becomes 1 (as StandardScaler does), so it stays 0 instead of exploding. */
const MIN_STD = 1e-6;

/**
 * Fits mean/std (population) on `statsRows` of `features` and returns `rows` standardised with them. Each `emphasis`
 * block multiplies the standardised columns [from, to) by `factor`, folded into their std (so head.json, export and
 * predict need nothing new): with weight decay and one learning rate, a small group of informative features among
 * thousands of others is otherwise barely used.
 */
export function standardiseRows(params: { features: Float32Array; featureLength: number; statsRows: readonly number[]; rows: readonly number[]; emphasis?: ReadonlyArray<{ from: number; to: number; factor: number }> }): StandardisedRows {
  const { features, featureLength: f, statsRows, rows } = params;
  const sum = new Float64Array(f);
  const sumSq = new Float64Array(f);
  for (const row of statsRows) {
    const base = row * f;
    for (let i = 0; i < f; i++) sum[i] += features[base + i];
  }
  const mean = new Float64Array(f);
  for (let i = 0; i < f; i++) mean[i] = sum[i] / statsRows.length;
  // Two passes (mean first) so a large common offset does not swamp the variance in floating point.
  for (const row of statsRows) {
    const base = row * f;
    for (let i = 0; i < f; i++) {
      const d = features[base + i] - mean[i];
      sumSq[i] += d * d;
    }
  }
  const std = new Float32Array(f);
  for (let i = 0; i < f; i++) {
    const s = Math.sqrt(sumSq[i] / statsRows.length);
    std[i] = s < MIN_STD ? 1 : s;
    const block = params.emphasis?.find((candidate) => i >= candidate.from && i < candidate.to);
    if (block) std[i] /= block.factor;
  }
  const mean32 = Float32Array.from(mean);
  const data = new Float32Array(rows.length * f);
  const index = new Map<number, number>();
  rows.forEach((row, r) => {
    index.set(row, r);
    const from = row * f;
    const to = r * f;
    // Uses the float32 mean/std that head.json stores, so these values are exactly what export/predict compute.
    for (let i = 0; i < f; i++) data[to + i] = (features[from + i] - mean32[i]) / std[i];
  });
  return { mean: mean32, std, data, index };
}
