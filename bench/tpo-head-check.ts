// The equivalence half of tpo-head (../shared/bench/WORKLOADS.md): writes the workload (inputs,
// parameters, a reference policy) and the addon's TPO loss and gradients on every device it has
// (CPU always, CUDA where a device exists) under a directory, for bench/anchors/tpo_head_check.py
// to recompute in PyTorch and compare. Raw little-endian files; index.json names them.
//   npm run bench -- tpo-head-check <dir> [H …]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadAddon } from '../src/native/addon.js';
import { NativeHeadTrainer } from '../src/native/native-trainer.js';
import { BETA, D, S, T, tpoHeadProblem } from './tpo-head-problem.js';

function write(dir: string, name: string, array: ArrayBufferView): string {
  writeFileSync(join(dir, name), new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return name;
}

/** The devices this build and machine can run, and why CUDA cannot where it cannot. */
function devices(): { run: string[]; skipped?: string } {
  try {
    loadAddon().addon.selectDevice('cuda');
    return { run: ['cpu', 'cuda'] };
  } catch (error) {
    return { run: ['cpu'], skipped: (error as Error).message };
  }
}

export async function tpoHeadCheck(): Promise<void> {
  const [dir, ...widths] = process.argv.slice(3);
  if (!dir) throw new Error('usage: npm run bench -- tpo-head-check <dir> [H …]');
  const { run, skipped } = devices();
  if (skipped) process.stderr.write(`tpo-head-check: CUDA skipped: ${skipped}\n`);
  for (const H of widths.length ? widths.map(Number) : [512, 4096]) {
    const { spec, config, initial, data, pairs } = tpoHeadProblem(H);
    const out = join(dir, `H${H}`);
    mkdirSync(out, { recursive: true });
    // A reference policy other than the current one, so that margins and sigmoid weights vary.
    let seed = 11;
    const noise = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
    const results: Record<string, unknown> = {};
    let reference: Float32Array | undefined;
    for (const device of run) {
      const trainer = new NativeHeadTrainer(spec, config, initial, { device });
      try {
        await trainer.upload(data);
        reference ??= (await trainer.computeReference()).map((v) => v + noise());
        await trainer.setReference(reference);
        const { metrics, gradients } = await trainer.gradients({ pairs });
        results[device] = {
          device: trainer.device,
          loss: metrics.loss,
          gradients: Object.fromEntries(
            Object.entries(gradients).map(([name, g]) => [name, write(out, `${device}.${name}.grad.f32`, g)]),
          ),
        };
        process.stderr.write(`tpo-head-check H=${H}: ${trainer.device} loss ${metrics.loss}\n`);
      } finally {
        trainer.dispose();
      }
    }
    const index = {
      spec,
      beta: BETA,
      steps: S,
      actionDims: D,
      trajectoryLength: T,
      features: write(out, 'features.bf16', data.features.data),
      tokens: write(out, 'tokens.i32', data.tokens),
      offsets: write(out, 'offsets.i32', data.offsets),
      pairs: write(out, 'pairs.i32', pairs),
      referencePerStep: write(out, 'reference.f32', reference!),
      parameters: Object.fromEntries(
        Object.entries(initial).map(([name, p]) => [name, write(out, `param.${name}.f32`, p)]),
      ),
      results,
      ...(skipped ? { cudaSkipped: skipped } : {}),
    };
    writeFileSync(join(out, 'index.json'), `${JSON.stringify(index, null, 1)}\n`);
    process.stdout.write(
      `${JSON.stringify({ workload: 'tpo-head-check', H, dir: out, devices: Object.keys(results) })}\n`,
    );
  }
}
