/** Rows one after another in one Float32Array (batched model inputs). */
export function concatRows(rows: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(rows.reduce((sum, row) => sum + row.length, 0));
  let at = 0;
  for (const row of rows) {
    out.set(row, at);
    at += row.length;
  }
  return out;
}
