// Reproducible random weights for generated models: every value is a hash of (seed, tensor,
// index), so a tensor never depends on what was drawn before it and the same seed gives the same
// model on every machine.

/** A 32-bit integer hash (the murmur3 finalizer over a mixed key). */
function mix(seed: number, stream: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 0x632be5ab, 0xc2b2ae35) ^ index;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Uniform in (0, 1). */
function uniform(seed: number, stream: number, index: number): number {
  return (mix(seed, stream, index) + 0.5) / 4294967296;
}

/** n values uniform in [-bound, bound). */
export function seededUniform(n: number, bound: number, seed: number, stream: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (2 * uniform(seed, stream, i) - 1) * bound);
}

/** n values normal with standard deviation `std` (Box–Muller on two hashed uniforms). */
export function seededNormal(n: number, std: number, seed: number, stream: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    const u = uniform(seed, stream, 2 * i);
    const v = uniform(seed, stream, 2 * i + 1);
    return std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}
