// Seeded test data (mulberry32), so every failure reproduces.
import { headParameters, type HeadSpec } from '../../src/native/head-types.js';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

export function randomTokens(n: number, bins: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * bins));
}

/** Every parameter of the head, LoRA factors included (non-zero, so LoRA is exercised). */
export function randomParams(spec: HeadSpec, seed: number, scale = 0.3): Record<string, Float32Array> {
  return Object.fromEntries(
    headParameters(spec).map((p, i) => [
      p.name,
      randomArray(
        p.shape.reduce((a, b) => a * b, 1),
        seed + i,
        scale,
      ),
    ]),
  );
}

export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return worst;
}
