// How the page writes a probability: one decimal for every bar, so "99.5%" stands beside "0.5%" (rounding 99.5 to
// "100%" beside "0.5%" added up to more than everything). A probability that is not exactly 1 or 0 never shows as
// "100.0%" or "0.0%": beyond one decimal it is ">99.9%" or "<0.1%". No DOM here, so it is tested in Node.

/** 0.995 → "99.5%", 1 → "100%", 0.99996 → ">99.9%", 0.00004 → "<0.1%", 0 → "0%". */
export function formatPercent(probability) {
  const p = Math.max(0, Math.min(1, Number(probability) || 0));
  if (p === 1) return "100%";
  if (p === 0) return "0%";
  const tenths = Math.round(p * 1000);
  if (tenths >= 1000) return ">99.9%";
  if (tenths <= 0) return "<0.1%";
  return `${(tenths / 10).toFixed(1)}%`;
}
