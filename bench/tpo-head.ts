// tpo-head (../shared/bench/WORKLOADS.md): the TPO training step on cached features — token-linear
// head, frozen W0 (H×256) + LoRA r=16 + bias trainable, P=16 pairs of T=200-step trajectories
// (S=6400 steps, D=7), bf16 features; scoring pass (per-step logp of all S steps) and one train
// step (forward, TPO loss β=0.1, backward, AdamW lr 2e-5). H = 4096 (OpenVLA scale) and 512.
// Runs on whatever device the addon picks (GRAPE_DEVICE to force). JSON lines, then a table.
import { NativeHeadTrainer } from '../src/native/native-trainer.js';
import type { HeadSpec } from '../src/native/head-types.js';
import { median } from './stats.js';

const P = 16;
const T = 200;
const D = 7;
const B = 256;
const R = 16;
const S = 2 * P * T;

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

async function time(fn: () => Promise<unknown>, reps: number): Promise<number> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

export async function tpoHead(): Promise<void> {
  const rows: string[] = [];
  for (const H of [4096, 512]) {
    const spec: HeadSpec = {
      kind: 'token-linear',
      inputDim: H,
      actionDims: D,
      bins: B,
      lora: { rank: R, alpha: R },
    };
    const rnd = lcg(H);
    const initial = {
      'proj.weight': Float32Array.from({ length: B * H }, () => rnd() * (2 / Math.sqrt(H))),
      'proj.bias': new Float32Array(B),
      'proj.lora_A': Float32Array.from({ length: R * H }, () => rnd() * (2 / Math.sqrt(H))),
      'proj.lora_B': new Float32Array(B * R),
    };
    const trainer = new NativeHeadTrainer(
      spec,
      { objective: 'tpo', trainable: 'lora', lr: 2e-5, beta: 0.1 },
      initial,
    );
    const offsets = Int32Array.from({ length: 2 * P + 1 }, (_, i) => i * T);
    await trainer.upload({
      features: { data: bf16Features(S * D * H, 7), dtype: 'bfloat16' },
      tokens: Int32Array.from({ length: S * D }, () => Math.floor((rnd() + 0.5) * B) % B),
      policyMask: new Uint8Array(S).fill(1),
      offsets,
    });
    const reps = H >= 4096 && trainer.device.startsWith('cpu') ? 3 : 10;
    const scoreMs = await time(() => trainer.computeReference(), reps);
    const pairs = Int32Array.from({ length: 2 * P }, (_, i) => (i % 2 === 0 ? i / 2 : P + (i - 1) / 2));
    const trainMs = await time(() => trainer.step({ pairs }), reps);
    const line = {
      workload: 'tpo-head',
      device: trainer.device,
      H,
      S,
      D,
      B,
      r: R,
      dtype: 'bfloat16',
      score_ms: +scoreMs.toFixed(2),
      train_ms: +trainMs.toFixed(2),
      score_steps_per_s: Math.round((S / scoreMs) * 1e3),
      train_steps_per_s: Math.round((S / trainMs) * 1e3),
      score_gflops: +((2 * S * D * H * B) / scoreMs / 1e6).toFixed(1),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    rows.push(
      `  H=${String(H).padEnd(5)} ${line.device.padEnd(26)} score ${scoreMs.toFixed(1)} ms  train ${trainMs.toFixed(1)} ms`,
    );
    trainer.dispose();
  }
  process.stderr.write(
    `\ntpo-head (median; PyTorch anchor on H100 bf16: 0.512 / 2.110 ms at H=4096)\n${rows.join('\n')}\n`,
  );
}
