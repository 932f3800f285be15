// The tpo-head workload's data (../shared/bench/WORKLOADS.md): token-linear head, frozen W0 (H×256)
// + LoRA r=16 + bias trainable, P=16 pairs of T=200-step trajectories (S=6400 steps, D=7), bf16
// features. Shared by the benchmark and by the equivalence check against PyTorch.
import type { HeadSpec } from '../src/native/head-types.js';
import type { TrainerConfig, TrainingData } from '../src/native/trainer-types.js';

export const P = 16;
export const T = 200;
export const D = 7;
export const B = 256;
export const R = 16;
export const S = 2 * P * T;
export const BETA = 0.1;

export interface TpoHeadProblem {
  spec: HeadSpec;
  config: TrainerConfig;
  initial: Record<string, Float32Array>;
  data: TrainingData & { features: { data: Uint16Array; dtype: 'bfloat16' } };
  /** (chosen, rejected) trajectory indices: trajectory i against P + i */
  pairs: Int32Array;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
}

/** bf16 bits of values drawn uniformly, without a float round trip per element. */
function bf16Features(n: number, seed: number): Uint16Array {
  const out = new Uint16Array(n);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const rnd = lcg(seed);
  for (let i = 0; i < n; i++) {
    f[0] = rnd() * 3.4; // ~unit variance
    out[i] = u[0]! >>> 16;
  }
  return out;
}

/**
 * The workload at feature width H. LoRA B is drawn too (not PEFT's zeros), so that every
 * trainable parameter has a gradient to compare; timings do not depend on the values.
 */
export function tpoHeadProblem(H: number): TpoHeadProblem {
  const rnd = lcg(H);
  const scale = 2 / Math.sqrt(H);
  return {
    spec: { kind: 'token-linear', inputDim: H, actionDims: D, bins: B, lora: { rank: R, alpha: R } },
    config: { objective: 'tpo', trainable: 'lora', lr: 2e-5, beta: BETA },
    initial: {
      'proj.weight': Float32Array.from({ length: B * H }, () => rnd() * scale),
      'proj.bias': Float32Array.from({ length: B }, () => rnd() * 0.1),
      'proj.lora_A': Float32Array.from({ length: R * H }, () => rnd() * scale),
      'proj.lora_B': Float32Array.from({ length: B * R }, () => rnd() * 0.1),
    },
    data: {
      features: { data: bf16Features(S * D * H, 7), dtype: 'bfloat16' },
      tokens: Int32Array.from({ length: S * D }, () => Math.floor((rnd() + 0.5) * B) % B),
      policyMask: new Uint8Array(S).fill(1),
      offsets: Int32Array.from({ length: 2 * P + 1 }, (_, i) => i * T),
    },
    pairs: Int32Array.from({ length: 2 * P }, (_, i) => (i % 2 === 0 ? i / 2 : P + (i - 1) / 2)),
  };
}
