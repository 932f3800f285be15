// replay (../shared/bench/WORKLOADS.md): a rosbag2 bag → episodes → per-step logp with the real
// default policy (generated encoder in onnxruntime-node, mlp head in the addon): MB/s and steps/s,
// against @mcap/core reading the same file's messages with no decoding (the library's own limit)
// and our reader doing the same. The bag is one recorded episode: 30 Hz 640×480 rgb8 camera,
// 100 Hz Panda joint states, 10 Hz policy steps. Medians of REPS runs; one JSON line each.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { McapIndexedReader } from '@mcap/core';

import { loadPolicy } from '../src/app/load-policy.js';
import { BagReader } from '../src/bag/bag-reader.js';
import { replayBag } from '../src/bag/bag-replay.js';
import { decompressHandlers, FileReadable } from '../src/bag/mcap-file.js';
import { policyForReplay } from '../src/bag/policy-replay.js';
import { EpisodeRecorder } from '../src/episode/episode-recorder.js';
import { timeFromNanoseconds } from '../src/messages/ros-messages.js';
import { buildDefaultModel } from '../src/policy/default-model/default-model.js';
import { PANDA_JOINT_NAMES } from '../src/policy/default-model/panda-kinematics.js';
import { writeModelPackage } from '../src/policy/model-package.js';
import { frames, HEIGHT, WIDTH } from './record.js';
import { median } from './stats.js';

const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 10);
const REPS = Number(process.env.REPS ?? 3);
const DIR = process.env.BENCH_DIR ?? tmpdir();
const MB = 1e6;

/** One recorded episode of SECONDS, written as the recorder writes it. Returns the bag directory. */
async function sourceBag(dataDir: string): Promise<string> {
  const pictures = frames(30);
  const recorder = await EpisodeRecorder.open({
    dataDir,
    topics: [
      { name: '/camera/image_raw', type: 'sensor_msgs/msg/Image', camera: true },
      { name: '/joint_states', type: 'sensor_msgs/msg/JointState' },
    ],
    camera: { rateHz: 0, downscale: 1 },
    maxPendingBytes: 1 << 30,
  });
  const t0 = 1_764_000_000_000_000_000n;
  await recorder.startEpisode(
    { taskId: 'bench', instruction: 'pick up the red cube', policyId: 'bench' },
    t0,
  );
  for (let ms = 0; ms < SECONDS * 1000; ms += 10) {
    const t = t0 + BigInt(ms) * 1_000_000n + 1n;
    const header = { stamp: timeFromNanoseconds(t), frame_id: '' };
    if (ms % 30 === 0) {
      const data = pictures[(ms / 30) % pictures.length]!;
      recorder.record(
        '/camera/image_raw',
        { header, height: HEIGHT, width: WIDTH, encoding: 'rgb8', is_bigendian: 0, step: WIDTH * 3, data },
        t,
      );
      await new Promise((r) => setImmediate(r));
    }
    const position = Float64Array.from(PANDA_JOINT_NAMES, (_, j) => 0.2 * Math.sin(ms / 500 + j));
    recorder.record(
      '/joint_states',
      {
        header,
        name: PANDA_JOINT_NAMES,
        position,
        velocity: new Float64Array(0),
        effort: new Float64Array(0),
      },
      t,
    );
    if (ms % 100 === 50) {
      const tokens = Int32Array.from({ length: 7 }, (_, d) => (ms + d * 37) % 256);
      recorder.step(
        {
          header,
          step: ms / 100,
          policy_id: 'bench',
          tokens,
          action: new Float64Array(7),
          logp: 0,
          logp_dims: [],
          temperature: 1,
          top_k: 0,
          flags: 0,
          features: [],
        },
        t,
      );
    }
  }
  const episode = await recorder.endEpisode({ outcome: 'success' }, t0 + BigInt(SECONDS) * 1_000_000_000n);
  await recorder.close();
  return join(dataDir, episode.bagPath);
}

interface Line {
  workload: 'replay';
  impl: string;
  /** message bytes per second */
  mb_per_s: number;
  messages_per_s: number;
  steps_per_s?: number;
  ms: number;
  file_mb: number;
  messages: number;
  steps?: number;
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < REPS; i++) {
    const t = performance.now();
    result = await run();
    times.push(performance.now() - t);
  }
  return { ms: median(times), result };
}

export async function replay(): Promise<void> {
  const scratch = mkdtempSync(join(DIR, 'grape-bench-replay-'));
  try {
    const bagDir = await sourceBag(join(scratch, 'source'));
    const bag = await BagReader.open(bagDir);
    const file = bag.info.files[0]!.path;
    const fileMb = statSync(file).size / MB;
    await bag.close();
    const lines: Line[] = [];
    const emit = (l: Line) => {
      lines.push(l);
      process.stdout.write(`${JSON.stringify(l)}\n`);
    };
    const line = (impl: string, ms: number, bytes: number, messages: number, steps?: number): Line => ({
      workload: 'replay',
      impl,
      mb_per_s: +(bytes / MB / (ms / 1000)).toFixed(1),
      messages_per_s: Math.round(messages / (ms / 1000)),
      ...(steps === undefined ? {} : { steps_per_s: +(steps / (ms / 1000)).toFixed(1), steps }),
      ms: +ms.toFixed(0),
      file_mb: +fileMb.toFixed(1),
      messages,
    });

    const plain = await timed(async () => {
      const readable = await FileReadable.open(file);
      const reader = await McapIndexedReader.Initialize({
        readable,
        decompressHandlers: await decompressHandlers(),
      });
      let bytes = 0;
      let n = 0;
      for await (const m of reader.readMessages()) {
        bytes += m.data.byteLength;
        n++;
      }
      await readable.close();
      return { bytes, n };
    });
    emit(
      line(
        '@mcap/core McapIndexedReader.readMessages (no decoding)',
        plain.ms,
        plain.result.bytes,
        plain.result.n,
      ),
    );

    const ours = await timed(async () => {
      const reader = await BagReader.open(bagDir);
      let bytes = 0;
      let n = 0;
      for await (const m of reader.messages()) {
        bytes += m.data.byteLength;
        n++;
      }
      await reader.close();
      return { bytes, n };
    });
    emit(line('grape BagReader.messages (no decoding)', ours.ms, ours.result.bytes, ours.result.n));

    const model = await writeModelPackage(join(scratch, 'model'), buildDefaultModel(0));
    const loaded = await loadPolicy(model, { device: 'cpu' });
    const policy = policyForReplay(loaded.policy, { encodeBatch: 32 });
    let run = 0;
    const replayed = await timed(async () => {
      const reader = await BagReader.open(bagDir);
      const report = await replayBag({
        bag: reader,
        dataDir: join(scratch, `replayed-${run++}`),
        policy,
        instruction: 'pick up the red cube',
        segmentBy: 'topic',
      });
      await reader.close();
      return report;
    });
    await loaded.policy.dispose();
    const steps = replayed.result.episodes.reduce((n, e) => n + e.steps, 0);
    emit(
      line(
        'grape replay: read, decode, encode + score every step, write the episode',
        replayed.ms,
        replayed.result.bytesRead,
        replayed.result.messagesRead,
        steps,
      ),
    );

    process.stderr.write(
      `\nreplay of a ${fileMb.toFixed(0)} MB bag (${SECONDS} s episode), median of ${REPS}\n`,
    );
    for (const l of lines) {
      process.stderr.write(
        `  ${l.impl.padEnd(76)} ${String(l.mb_per_s).padStart(7)} MB/s` +
          (l.steps_per_s === undefined ? '' : `  ${l.steps_per_s} steps/s`) +
          '\n',
      );
    }
    process.stderr.write(
      `  replay / @mcap/core plain read: ${(lines[2]!.mb_per_s / lines[0]!.mb_per_s).toFixed(2)}x\n`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
