// The addon's counter-based draw (native/core/rng.h) in TypeScript: uniform01(seed, step, dim).
const MASK = (1n << 64n) - 1n;

function splitmix64(x: bigint): bigint {
  x = (x + 0x9e3779b97f4a7c15n) & MASK;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return x ^ (x >> 31n);
}

export function uniform01(seed: number, step: number, dim: number): number {
  const x = splitmix64((splitmix64(BigInt(seed) ^ splitmix64(BigInt(step))) + BigInt(dim)) & MASK);
  return Number(x >> 40n) / 16777216;
}
