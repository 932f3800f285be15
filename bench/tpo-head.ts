// tpo-head (../shared/bench/WORKLOADS.md): the TPO training step on cached features (the workload
// of tpo-head-problem.ts); scoring pass (per-step logp of all S steps) and one train step (forward,
// TPO loss β=0.1, backward, AdamW lr 2e-5). H = 4096 (OpenVLA scale) and 512.
// Runs on whatever device the addon picks (GRAPE_DEVICE to force). JSON lines, then a table.
import { NativeHeadTrainer } from '../src/native/native-trainer.js';
import { median } from './stats.js';
import { B, D, R, S, tpoHeadProblem } from './tpo-head-problem.js';

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
    const { spec, config, initial, data, pairs } = tpoHeadProblem(H);
    const trainer = new NativeHeadTrainer(spec, config, initial);
    await trainer.upload(data);
    const reps = H >= 4096 && trainer.device.startsWith('cpu') ? 3 : 20;
    const scoreMs = await time(() => trainer.computeReference(), reps);
    const trainMs = await time(() => trainer.step({ pairs }), reps);
    // Where a train step's time goes: forward + loss, then + backward, then + AdamW and the update.
    const lossMs = await time(() => trainer.evaluate({ pairs }), reps);
    const gradientsMs = await time(() => trainer.gradients({ pairs }), reps);
    const line = {
      workload: 'tpo-head',
      device: trainer.device,
      H,
      S,
      D,
      B,
      r: R,
      dtype: 'bfloat16',
      score_ms: +scoreMs.toFixed(3),
      train_ms: +trainMs.toFixed(3),
      loss_ms: +lossMs.toFixed(3),
      gradients_ms: +gradientsMs.toFixed(3),
      score_steps_per_s: Math.round((S / scoreMs) * 1e3),
      train_steps_per_s: Math.round((S / trainMs) * 1e3),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    rows.push(
      `  H=${String(H).padEnd(5)} ${line.device.padEnd(26)} score ${scoreMs.toFixed(2)} ms  train ${trainMs.toFixed(2)} ms`,
    );
    trainer.dispose();
  }
  process.stderr.write(
    `\ntpo-head (median; PyTorch anchor on H100 bf16: 0.512 / 2.110 ms at H=4096)\n${rows.join('\n')}\n`,
  );
}
