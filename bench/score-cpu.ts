// score-cpu (../shared/bench/WORKLOADS.md): per-step log-likelihood of 10,000 logged steps with
// the default-size mlp head (F=512 → 256 GELU → 7×256): the addon (each CPU kernel set, 1 and
// all threads, each in its own process), plain TypeScript, and onnxruntime-node running the same
// head as a graph. One JSON line per configuration, then a table.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

import * as ort from 'onnxruntime-node';

import { NativeActionHead } from '../src/native/native-head.js';
import { ReferenceActionHead } from '../src/native/reference-head.js';
import type { HeadSpec } from '../src/native/head-types.js';
import { mlpLogLikelihoodGraph } from './onnx-head.js';
import { median } from './stats.js';

const N = Number(process.env.N ?? 10000);
const F = 512;
const HIDDEN = 256;
const D = 7;
const B = 256;
const REPS = 7;
const spec: HeadSpec = {
  kind: 'mlp',
  inputDim: F,
  hidden: [HIDDEN],
  actionDims: D,
  bins: B,
  activation: 'gelu_tanh',
};

// The anchor's data (same LCG), so figures line up with ../shared/bench/anchors/score_cpu_anchor.mjs.
function workload() {
  let seed = 1;
  const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5;
  const w1 = Float32Array.from({ length: F * HIDDEN }, () => rnd() * 0.1);
  const b1 = new Float32Array(HIDDEN);
  const w2 = Float32Array.from({ length: HIDDEN * D * B }, () => rnd() * 0.1);
  const b2 = new Float32Array(D * B);
  const x = Float32Array.from({ length: N * F }, rnd);
  const tokens = Int32Array.from({ length: N * D }, () => Math.floor((rnd() + 0.5) * B) % B);
  return { w1, b1, w2, b2, x, tokens };
}

/** The first call (cold: what scoring one batch once costs) and the median of REPS warm calls. */
async function time(fn: () => Promise<unknown>): Promise<{ first: number; ms: number }> {
  const ms: number[] = [];
  for (let i = 0; i <= REPS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return { first: ms[0]!, ms: median(ms.slice(1)) };
}

interface Line {
  workload: 'score-cpu';
  impl: string;
  threads: number;
  steps: number;
  /** median of warm calls */
  ms: number;
  steps_per_s: number;
  first_call_ms?: number;
  max_abs_diff_vs_addon?: number;
  extrapolated_from?: number;
  device?: string;
}

function line(impl: string, threads: number, ms: number, extra: Partial<Line> = {}): Line {
  return {
    workload: 'score-cpu',
    impl,
    threads,
    steps: N,
    ms: +ms.toFixed(2),
    steps_per_s: Math.round((N / ms) * 1e3),
    ...extra,
  };
}

async function addonChild(): Promise<void> {
  const { w1, b1, w2, b2, x, tokens } = workload();
  const parameters = {
    'layers.0.weight': w1,
    'layers.0.bias': b1,
    'layers.1.weight': w2,
    'layers.1.bias': b2,
  };
  const head = new NativeActionHead(spec, { device: 'cpu' });
  await head.setParameters(parameters);
  const { first, ms } = await time(() => head.logLikelihood(x, tokens));
  const threads = Number(process.env.GRAPE_THREADS);
  const out = line(`addon-${process.env.GRAPE_CPU_ISA ?? 'auto'}`, threads, ms, {
    device: head.device,
    first_call_ms: +first.toFixed(1),
  });
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runAddon(isa: string, threads: number): Line | { error: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child'], {
    encoding: 'utf8',
    env: { ...process.env, GRAPE_CPU_ISA: isa, GRAPE_THREADS: String(threads), GRAPE_LOG: 'silent' },
  });
  if (r.status !== 0) return { error: r.stderr.trim().split('\n').pop() ?? `exit ${r.status}` };
  return JSON.parse(r.stdout) as Line;
}

export async function scoreCpu(): Promise<void> {
  const { w1, b1, w2, b2, x, tokens } = workload();
  const lines: Line[] = [];
  const emit = (l: Line) => {
    lines.push(l);
    process.stdout.write(`${JSON.stringify(l)}\n`);
  };
  const cores = availableParallelism();

  // Reference values from the default addon (all cores) for the accuracy columns.
  const parameters = {
    'layers.0.weight': w1,
    'layers.0.bias': b1,
    'layers.1.weight': w2,
    'layers.1.bias': b2,
  };
  const head = new NativeActionHead(spec, { device: 'cpu' });
  await head.setParameters(parameters);
  const addonLp = (await head.logLikelihood(x, tokens)).steps;

  for (const isa of ['avx512', 'avx2', 'generic']) {
    for (const threads of [...new Set([1, cores])]) {
      const r = runAddon(isa, threads);
      if ('error' in r) {
        process.stderr.write(`addon ${isa} x${threads}: skipped (${r.error})\n`);
        continue;
      }
      emit(r);
    }
  }

  const graph = mlpLogLikelihoodGraph({
    inputDim: F,
    hidden: [HIDDEN],
    actionDims: D,
    bins: B,
    parameters,
  });
  const t64 = BigInt64Array.from(tokens, (t) => BigInt(t));
  for (const threads of [...new Set([1, cores])]) {
    const session = await ort.InferenceSession.create(graph, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
    const feeds = { x: new ort.Tensor('float32', x, [N, F]), t: new ort.Tensor('int64', t64, [N, D, 1]) };
    const { first, ms } = await time(() => session.run(feeds));
    const lp = (await session.run(feeds)).lp!.data as Float32Array;
    let diff = 0;
    for (let i = 0; i < N; i++) diff = Math.max(diff, Math.abs(lp[i]! - addonLp[i]!));
    emit(
      line('onnxruntime-node', threads, ms, {
        max_abs_diff_vs_addon: diff,
        first_call_ms: +first.toFixed(1),
      }),
    );
    await session.release();
  }

  const plainSteps = Math.min(N, 300);
  const reference = new ReferenceActionHead(spec);
  await reference.setParameters({
    'layers.0.weight': w1,
    'layers.0.bias': b1,
    'layers.1.weight': w2,
    'layers.1.bias': b2,
  });
  const xs = x.subarray(0, plainSteps * F);
  const ts = tokens.subarray(0, plainSteps * D);
  const t0 = performance.now();
  const plainLp = (await reference.logLikelihood(xs, ts)).steps;
  const plainMs = ((performance.now() - t0) * N) / plainSteps;
  let diff = 0;
  for (let i = 0; i < plainSteps; i++) diff = Math.max(diff, Math.abs(plainLp[i]! - addonLp[i]!));
  emit(line('plain-typescript', 1, plainMs, { max_abs_diff_vs_addon: diff, extrapolated_from: plainSteps }));
  head.dispose();

  const best = (prefix: string) =>
    Math.max(...lines.filter((l) => l.impl.startsWith(prefix)).map((l) => l.steps_per_s));
  process.stderr.write('\nscore-cpu: steps/s (higher is better)\n');
  for (const l of lines)
    process.stderr.write(
      `  ${l.impl.padEnd(18)} x${l.threads}  ${String(l.steps_per_s).padStart(9)}  ${l.ms.toFixed(1).padStart(9)} ms` +
        `  first call ${l.first_call_ms?.toFixed(1) ?? '-'} ms\n`,
    );
  process.stderr.write(
    `  best addon / best onnxruntime: ${(best('addon') / best('onnxruntime')).toFixed(2)}x\n`,
  );
}

if (process.argv.includes('--child')) await addonChild();
