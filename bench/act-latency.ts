// act-latency (../shared/bench/WORKLOADS.md): one control step of the default policy — image
// preprocessing, the encoder (onnxruntime-node, worker thread), head act (sample + untempered logp),
// the step record — p50/p99/max over 1,000 steps; then the head alone, in the addon and as the same
// head run as an ONNX graph in onnxruntime-node. One JSON line per measurement, then a table.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import * as ort from 'onnxruntime-node';

import { loadPolicy } from '../src/app/load-policy.js';
import type { Image, JointState, Time } from '../src/messages/ros-messages.js';
import type { ActionHead } from '../src/native/head-types.js';
import { buildDefaultModel } from '../src/policy/default-model/default-model.js';
import { PANDA_ARM, PANDA_FINGERS, PANDA_JOINT_NAMES } from '../src/policy/default-model/panda-kinematics.js';
import { writeModelPackage } from '../src/policy/model-package.js';
import type { Observation } from '../src/policy/observation-preprocessor.js';
import type { PolicyStep } from '../src/policy/policy.js';
import { mlpActGraph } from './onnx-head.js';
import { percentile } from './stats.js';

const STEPS = Number(process.env.STEPS ?? 1000);
const WARMUP = 50;
const INSTRUCTION = 'put the red cube on the blue plate';

interface Line {
  workload: 'act-latency';
  part: string;
  impl?: string;
  steps: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  device?: string;
  note?: string;
}

const round = (v: number) => +v.toFixed(3);

function line(part: string, ms: number[], extra: Partial<Line> = {}): Line {
  return {
    workload: 'act-latency',
    part,
    ...extra,
    steps: ms.length,
    p50_ms: round(percentile(ms, 0.5)),
    p99_ms: round(percentile(ms, 0.99)),
    max_ms: round(Math.max(...ms)),
    mean_ms: round(ms.reduce((a, b) => a + b, 0) / ms.length),
  };
}

/** Simulator-like 96×96 rgb8 frames: wooden table, a red and a blue object at varying places. */
function frames(count: number): Image[] {
  return Array.from({ length: count }, (_, f) => {
    const data = new Uint8Array(96 * 96 * 3);
    const objects = [
      { x: 20 + ((f * 7) % 50), y: 30 + ((f * 3) % 40), rgb: [217, 31, 26] },
      { x: 60 - ((f * 5) % 40), y: 20 + ((f * 11) % 50), rgb: [31, 64, 217] },
    ];
    for (let y = 0; y < 96; y++)
      for (let x = 0; x < 96; x++) {
        const hit = objects.find((o) => x >= o.x && x < o.x + 9 && y >= o.y && y < o.y + 9);
        data.set(hit?.rgb ?? (y < 20 ? [199, 204, 212] : [158, 128, 97]), 3 * (y * 96 + x));
      }
    return {
      header: { stamp: { sec: f, nanosec: 0 }, frame_id: 'sim_camera' },
      height: 96,
      width: 96,
      encoding: 'rgb8',
      is_bigendian: 0,
      step: 288,
      data,
    };
  });
}

function joints(i: number): JointState {
  const ranges = [...PANDA_ARM, ...PANDA_FINGERS].map((j) => j.range);
  return {
    header: { stamp: { sec: i, nanosec: 0 }, frame_id: '' },
    name: PANDA_JOINT_NAMES,
    position: ranges.map(([lo, hi], j) => lo + (hi - lo) * (0.5 + 0.3 * Math.sin(0.01 * i + j))),
    velocity: [],
    effort: [],
  };
}

/** The step as the recorder logs it: grape/msg/PolicyStep's fields. */
function stepRecord(s: PolicyStep, stamp: Time) {
  return {
    header: { stamp, frame_id: '' },
    step: s.stepIndex,
    policy_id: s.policyId,
    tokens: Array.from(s.tokens),
    action: Array.from(s.action),
    logp: s.logp,
    logp_dims: Array.from(s.logpDims),
    temperature: s.sampling.greedy ? 0 : s.sampling.temperature,
    top_k: s.sampling.topK,
    flags: 0,
    features: s.features,
  };
}

async function timeHead(head: ActionHead, features: Float32Array[], greedy: boolean): Promise<number[]> {
  const ms: number[] = [];
  for (let i = -WARMUP; i < STEPS; i++) {
    const t = performance.now();
    await head.act(features[(i + WARMUP) % features.length]!, { greedy, seed: 1, firstStep: i + WARMUP });
    if (i >= 0) ms.push(performance.now() - t);
  }
  return ms;
}

export async function actLatency(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'grape-act-latency-'));
  const lines: Line[] = [];
  const emit = (l: Line) => {
    lines.push(l);
    process.stdout.write(`${JSON.stringify(l)}\n`);
  };
  try {
    await writeModelPackage(dir, buildDefaultModel(0));
    const { policy, package: pkg } = await loadPolicy(dir, { device: 'cpu' });
    const context = `${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(2)} at start`;
    const images = frames(16);
    const observations: Observation[] = images.map((image, i) => ({ image, joints: joints(i) }));

    // The full control step, as the node runs it.
    const total: number[] = [];
    const parts = { preprocess: [] as number[], encoder: [] as number[], head: [] as number[] };
    const features: Float32Array[] = [];
    for (let i = -WARMUP; i < STEPS; i++) {
      const t = performance.now();
      const observation = observations[(i + WARMUP) % observations.length]!;
      const s = await policy.step(observation, INSTRUCTION);
      const record = stepRecord(s, observation.image.header.stamp);
      const ms = performance.now() - t;
      if (i < 0) continue;
      if (record.tokens.length !== 7) throw new Error('step record lost its tokens');
      total.push(ms);
      parts.preprocess.push(s.timing.preprocessMs);
      parts.encoder.push(s.timing.encodeMs);
      parts.head.push(s.timing.headMs);
      if (features.length < 64) features.push(s.features);
    }
    const device = `head ${policy.head.device}; encoder ${policy.encoder.device}`;
    emit(line('full-step', total, { device, note: context }));
    emit(line('preprocess', parts.preprocess));
    emit(line('encoder', parts.encoder));
    emit(line('head-in-step', parts.head));

    // The head alone: the addon (sampled and greedy), then the same head as ONNX graphs.
    emit(
      line('head-alone', await timeHead(policy.head, features, false), {
        impl: 'addon sample',
        device: policy.head.device,
      }),
    );
    emit(
      line('head-alone', await timeHead(policy.head, features, true), {
        impl: 'addon greedy',
        device: policy.head.device,
      }),
    );
    const weights = {
      inputDim: pkg.headSpec.inputDim,
      hidden: pkg.headSpec.hidden ?? [],
      actionDims: pkg.headSpec.actionDims,
      bins: pkg.headSpec.bins,
      parameters: pkg.headParameters,
    };
    const addonGreedy = await policy.head.act(features[0]!, { greedy: true });
    for (const threads of [...new Set([1, availableParallelism()])]) {
      for (const mode of ['sample', 'greedy'] as const) {
        const session = await ort.InferenceSession.create(mlpActGraph(weights, mode), {
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
        });
        const feed = (f: Float32Array) => ({ x: new ort.Tensor('float32', f, [1, f.length]) });
        if (mode === 'greedy') {
          // Same head, same answer: the graph must agree with the addon before its time means anything.
          const out = await session.run(feed(features[0]!));
          const tokens = Array.from(out.tokens!.data as BigInt64Array, Number);
          if (tokens.join() !== Array.from(addonGreedy.tokens).join())
            throw new Error(
              `ONNX greedy tokens ${tokens.join()} differ from the addon's ${addonGreedy.tokens.join()}`,
            );
          const lp = (out.lp!.data as Float32Array)[0]!;
          if (Math.abs(lp - addonGreedy.logp[0]!) > 1e-3)
            throw new Error(`ONNX logp ${lp} vs addon ${addonGreedy.logp[0]}`);
        }
        const ms: number[] = [];
        for (let i = -WARMUP; i < STEPS; i++) {
          const t = performance.now();
          await session.run(feed(features[(i + WARMUP) % features.length]!));
          if (i >= 0) ms.push(performance.now() - t);
        }
        emit(
          line('head-alone', ms, {
            impl: `onnxruntime-node ${mode}`,
            device: `cpu, ${threads} intra-op threads`,
          }),
        );
        await session.release();
      }
    }
    await policy.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  process.stderr.write(
    `\nact-latency: ms per step over ${STEPS} steps (load average now ${loadavg()[0]!.toFixed(2)})\n`,
  );
  for (const l of lines)
    process.stderr.write(
      `  ${`${l.part}${l.impl ? ` (${l.impl}${l.device && l.part === 'head-alone' ? `, ${l.device}` : ''})` : ''}`.padEnd(62)}` +
        ` p50 ${l.p50_ms.toFixed(3).padStart(7)}  p99 ${l.p99_ms.toFixed(3).padStart(7)}  max ${l.max_ms.toFixed(3).padStart(8)}\n`,
    );
}
