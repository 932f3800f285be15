// Axes for the report's charts: a linear map from data to pixels, and "nice" round ticks (1, 2, 2.5
// or 5 × 10^k apart) with labels that show as many decimals as the tick step needs.

export class LinearScale {
  constructor(
    readonly domain: readonly [number, number],
    readonly range: readonly [number, number],
  ) {}

  at(value: number): number {
    const [d0, d1] = this.domain;
    const [r0, r1] = this.range;
    const t = d1 === d0 ? 0.5 : (value - d0) / (d1 - d0);
    return r0 + t * (r1 - r0);
  }
}

export interface Ticks {
  /** The domain, widened to whole ticks. */
  domain: [number, number];
  values: number[];
  step: number;
  format: (value: number) => string;
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = [1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10;
  return mantissa * power;
}

/** Decimals a tick step needs to print exactly (0.25 → 2, 2.5 → 1, 20 → 0). */
function decimalsOf(step: number): number {
  const text = String(Number(step.toPrecision(12)));
  if (text.includes('e')) return Math.max(0, Math.ceil(-Math.log10(step))) + 1;
  return text.split('.')[1]?.length ?? 0;
}

/** About `count` round ticks covering [min, max] (a single value gets a small span around it). */
export function niceTicks(min: number, max: number, count = 5): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max)
    throw new Error(`an axis needs a finite range, not [${min}, ${max}]`);
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    [min, max] = [min - pad, max + pad];
  }
  const step = niceStep(max - min, count);
  const first = Math.floor(min / step + 1e-9) * step;
  const last = Math.ceil(max / step - 1e-9) * step;
  const values: number[] = [];
  for (let i = 0; first + i * step <= last + step * 1e-9; i++) values.push(first + i * step);
  const decimals = decimalsOf(step);
  return { domain: [first, last], values, step, format: (v) => v.toFixed(decimals) };
}

/** [min, max] of a non-empty list (without spreading it into arguments: logs run to many thousands). */
export function extent(values: readonly number[]): [number, number] {
  if (values.length === 0) throw new Error('the extent of no values');
  let lo = values[0]!;
  let hi = lo;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** A number for a tooltip or table: up to 3 decimals, no trailing zeros. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return value.toFixed(0);
  return String(Number(value.toFixed(3)));
}

export const formatPercent = (value: number) => `${(100 * value).toFixed(0)}%`;
