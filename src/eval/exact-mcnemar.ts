// The paired test for two policies evaluated on the same initial states: only the discordant pairs
// (one succeeds, the other fails) carry information, and under "no difference" each is equally likely
// to go either way. Exact McNemar = a two-sided sign test on them, exact at any count.

/** log C(n, k), summed term by term (n is at most a few thousand episodes). */
function logChoose(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log((n - k + i) / i);
  return sum;
}

/**
 * Two-sided exact McNemar p-value for `onlyA` pairs where only A succeeded and `onlyB` where only B
 * did: 2·P[X ≤ min] for X ~ Binomial(onlyA + onlyB, ½), capped at 1 (1 with no discordant pair).
 */
export function exactMcNemarP(onlyA: number, onlyB: number): number {
  for (const [name, v] of [
    ['onlyA', onlyA],
    ['onlyB', onlyB],
  ] as const)
    if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative count, not ${v}`);
  const n = onlyA + onlyB;
  if (n === 0) return 1;
  const k = Math.min(onlyA, onlyB);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}
