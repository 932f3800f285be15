// Confidence intervals for a success (or collision) rate. Wilson's score interval: unlike the normal
// (Wald) interval it stays inside [0, 1] and keeps its coverage at the 0% and 100% that an evaluation
// of a few dozen episodes often shows, where Wald collapses to a point.

/** The two-sided 95% normal quantile. */
export const Z_95 = 1.959963984540054;

export interface SuccessInterval {
  low: number;
  high: number;
}

/** Wilson score interval of a rate observed over `n` Bernoulli trials (95% by default). */
export function wilsonInterval(rate: number, n: number, z = Z_95): SuccessInterval {
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`a success interval needs a positive trial count, not ${n}`);
  if (!(rate >= 0 && rate <= 1)) throw new Error(`a success rate must lie in [0, 1], not ${rate}`);
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (rate + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((rate * (1 - rate)) / n + z2 / (4 * n * n));
  // The bounds touch 0 and 1 exactly at 0% and 100%; clamp the rounding either side.
  return {
    low: rate === 0 ? 0 : Math.max(0, centre - half),
    high: rate === 1 ? 1 : Math.min(1, centre + half),
  };
}
