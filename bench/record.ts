// record (../shared/bench/WORKLOADS.md): the episode recorder under a 30 Hz 640×480 rgb8 camera,
// 100 Hz joint states and 10 Hz policy steps (512 features), in real time: MB/s written, CPU
// share, messages dropped (must be 0). Against the limit: raw sequential write speed on the same
// disk, and the recorder fed as fast as it takes messages. One JSON line per configuration.
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EpisodeRecorder, type RecordedTopic } from '../src/episode/episode-recorder.js';
import type { PolicyStep } from '../src/episode/policy-step.js';
import { timeFromNanoseconds, type Image, type JointState } from '../src/messages/ros-messages.js';

const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 20);
const DIR = process.env.BENCH_DIR ?? tmpdir();
export const WIDTH = 640;
export const HEIGHT = 480;
const TOPICS: RecordedTopic[] = [
  { name: '/camera/image_raw', type: 'sensor_msgs/msg/Image', camera: true },
  { name: '/joint_states', type: 'sensor_msgs/msg/JointState' },
];

/** Camera-like frames: smooth shading, a moving object, sensor noise (they compress like real ones). */
export function frames(count: number): Uint8Array[] {
  let seed = 1;
  const noise = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) >>> 28) - 8;
  return Array.from({ length: count }, (_, f) => {
    const data = new Uint8Array(WIDTH * HEIGHT * 3);
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        const inside = Math.hypot(x - 200 - f * 7, y - 240) < 40;
        const i = (y * WIDTH + x) * 3;
        data[i] = Math.max(0, Math.min(255, (inside ? 200 : 90 + y / 6) + noise()));
        data[i + 1] = Math.max(0, Math.min(255, (inside ? 30 : 80 + x / 10) + noise()));
        data[i + 2] = Math.max(0, Math.min(255, (inside ? 40 : 70) + noise()));
      }
    }
    return data;
  });
}

function image(t: bigint, data: Uint8Array): Image {
  return {
    header: { stamp: timeFromNanoseconds(t), frame_id: 'camera' },
    height: HEIGHT,
    width: WIDTH,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: WIDTH * 3,
    data,
  };
}

function joints(t: bigint, i: number): JointState {
  const position = Float64Array.from({ length: 7 }, (_, j) => Math.sin(i / 100 + j));
  return {
    header: { stamp: timeFromNanoseconds(t), frame_id: '' },
    name: ['j1', 'j2', 'j3', 'j4', 'j5', 'j6', 'j7'],
    position,
    velocity: position,
    effort: new Float64Array(0),
  };
}

function step(t: bigint, i: number): PolicyStep {
  return {
    header: { stamp: timeFromNanoseconds(t), frame_id: '' },
    step: i,
    policy_id: 'bench',
    tokens: Int32Array.from({ length: 7 }, (_, d) => (i * 13 + d) % 256),
    action: new Float64Array(7),
    logp: -12.5,
    logp_dims: new Float32Array(0),
    temperature: 1,
    top_k: 0,
    flags: 0,
    features: Float32Array.from({ length: 512 }, (_, k) => Math.sin(i + k)),
  };
}

interface Line {
  workload: 'record';
  config: string;
  seconds: number;
  /** message bytes handed to the recorder, per second */
  input_mb_per_s: number;
  /** bytes on disk, per second */
  written_mb_per_s: number;
  /** CPU time / wall time (1 = one core) */
  cpu_share: number;
  messages: number;
  dropped: number;
  camera_frames_kept: number;
  compression_ratio: number;
  /** delay of scheduled messages behind their time (ms): how long the event loop stalls */
  lateness_ms?: { p50: number; p99: number; max: number };
}

const MB = 1e6;

function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

/** The recorder in real time: each message at its scheduled time, for SECONDS. */
/**
 * Ends the benchmark's episode and closes the recorder: its stats, the wall and CPU time since
 * `t0`/`cpu0` to the episode's end, and the bag's size once closed; the data dir goes.
 */
async function finishRecording(
  recorder: EpisodeRecorder,
  dataDir: string,
  t0: number,
  cpu0: NodeJS.CpuUsage,
) {
  const stats = recorder.stats()!;
  const episode = await recorder.endEpisode({ outcome: 'success' });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await recorder.close();
  const file = statSync(join(dataDir, episode.bagPath, `${episode.id}_0.mcap`)).size;
  rmSync(dataDir, { recursive: true, force: true });
  return { stats, wall, cpu, file };
}

async function realtime(
  config: string,
  camera: { rateHz: number; downscale: number },
  pictures: Uint8Array[],
): Promise<Line> {
  const dataDir = mkdtempSync(join(DIR, 'grape-bench-record-'));
  const recorder = await EpisodeRecorder.open({ dataDir, topics: TOPICS, camera });
  await recorder.startEpisode({ taskId: 'bench', instruction: 'record', policyId: 'bench' });
  const epoch = BigInt(Date.now()) * 1_000_000n;
  const streams = [
    {
      hz: 30,
      next: 0,
      n: 0,
      emit: (t: bigint, n: number) =>
        recorder.record('/camera/image_raw', image(t, pictures[n % pictures.length]!), t),
    },
    {
      hz: 100,
      next: 0,
      n: 0,
      emit: (t: bigint, n: number) => recorder.record('/joint_states', joints(t, n), t),
    },
    { hz: 10, next: 0, n: 0, emit: (t: bigint, n: number) => recorder.step(step(t, n), t) },
  ];
  const lateness: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (;;) {
    const now = performance.now() - t0;
    if (now >= SECONDS * 1000) break;
    for (const s of streams) {
      while (s.next <= now) {
        lateness.push(now - s.next);
        const t = epoch + BigInt(Math.round(s.next * 1e6));
        s.emit(t, s.n++);
        s.next = (s.n * 1000) / s.hz;
      }
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const { stats, wall, cpu, file } = await finishRecording(recorder, dataDir, t0, cpu0);
  const kept = stats.messages['/camera/image_raw'] ?? 0;
  const inputBytes = stats.messageBytes;
  return {
    workload: 'record',
    config,
    seconds: +wall.toFixed(2),
    input_mb_per_s: +(inputBytes / MB / wall).toFixed(2),
    written_mb_per_s: +(file / MB / wall).toFixed(2),
    cpu_share: +((cpu.user + cpu.system) / 1e6 / wall).toFixed(3),
    messages: Object.values(stats.messages).reduce((a, b) => a + b, 0),
    dropped: Object.values(stats.dropped).reduce((a, b) => a + b, 0),
    camera_frames_kept: kept,
    compression_ratio: +(file / inputBytes).toFixed(3),
    lateness_ms: {
      p50: +percentile(lateness, 0.5).toFixed(1),
      p99: +percentile(lateness, 0.99).toFixed(1),
      max: +percentile(lateness, 1).toFixed(1),
    },
  };
}

/** The recorder fed camera frames back to back: the most it takes (its own limit). */
async function flatOut(pictures: Uint8Array[], frames: number): Promise<Line> {
  const dataDir = mkdtempSync(join(DIR, 'grape-bench-record-'));
  const recorder = await EpisodeRecorder.open({
    dataDir,
    topics: TOPICS,
    camera: { rateHz: 0, downscale: 1 },
    maxPendingBytes: 1 << 30,
  });
  await recorder.startEpisode({ taskId: 'bench', instruction: 'record', policyId: 'bench' });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const epoch = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < frames; i++) {
    const t = epoch + BigInt(i) * 33_333_333n;
    recorder.record('/camera/image_raw', image(t, pictures[i % pictures.length]!), t);
    if (i % 8 === 7) await new Promise((r) => setImmediate(r)); // let the writes proceed
  }
  const { stats, wall, cpu, file } = await finishRecording(recorder, dataDir, t0, cpu0);
  const input = stats.messageBytes;
  return {
    workload: 'record',
    config: 'flat-out camera frames (recorder limit)',
    seconds: +wall.toFixed(2),
    input_mb_per_s: +(input / MB / wall).toFixed(2),
    written_mb_per_s: +(file / MB / wall).toFixed(2),
    cpu_share: +((cpu.user + cpu.system) / 1e6 / wall).toFixed(3),
    messages: stats.messages['/camera/image_raw'] ?? 0,
    dropped: Object.values(stats.dropped).reduce((a, b) => a + b, 0),
    camera_frames_kept: stats.messages['/camera/image_raw'] ?? 0,
    compression_ratio: +(file / input).toFixed(3),
  };
}

interface RawWriteLine {
  workload: 'record';
  config: string;
  seconds: number;
  written_mb_per_s: number;
}

/** Raw sequential write speed of the same disk: 1 MiB blocks, fsync at the end (as the recorder). */
function rawWrite(bytes: number): RawWriteLine {
  const dir = mkdtempSync(join(DIR, 'grape-bench-raw-'));
  const block = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
  const fd = openSync(join(dir, 'raw'), 'w');
  const t0 = performance.now();
  for (let done = 0; done < bytes; done += block.length) writeSync(fd, block);
  fsyncSync(fd);
  const wall = (performance.now() - t0) / 1000;
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return {
    workload: 'record',
    config: 'raw sequential write (disk limit)',
    seconds: +wall.toFixed(2),
    written_mb_per_s: +(bytes / MB / wall).toFixed(1),
  };
}

export async function record(): Promise<void> {
  const pictures = frames(30);
  // Warm-up (not reported): the chunk packing thread starts, code paths compile.
  await flatOut(pictures, 30);
  const lines: (Line | RawWriteLine)[] = [];
  const emit = (l: Line | RawWriteLine) => {
    lines.push(l);
    process.stdout.write(`${JSON.stringify(l)}\n`);
  };
  emit(rawWrite(1 << 30));
  emit(
    await realtime(
      'realtime 30 Hz camera, every frame at full resolution',
      { rateHz: 0, downscale: 1 },
      pictures,
    ),
  );
  emit(
    await realtime(
      'realtime 30 Hz camera, default budget (10 Hz, full resolution)',
      { rateHz: 10, downscale: 1 },
      pictures,
    ),
  );
  emit(
    await realtime(
      'realtime 30 Hz camera, budget 10 Hz at half resolution',
      { rateHz: 10, downscale: 2 },
      pictures,
    ),
  );
  emit(await flatOut(pictures, 900));

  process.stderr.write('\nrecord (MB/s = 10^6 bytes/s)\n');
  for (const l of lines) {
    const rest =
      'input_mb_per_s' in l
        ? `  input ${String(l.input_mb_per_s).padStart(7)} MB/s  cpu ${l.cpu_share}  dropped ${l.dropped}` +
          (l.lateness_ms ? `  late p99 ${l.lateness_ms.p99} ms` : '')
        : '';
    process.stderr.write(
      `  ${l.config.padEnd(64)} written ${String(l.written_mb_per_s).padStart(7)} MB/s${rest}\n`,
    );
  }
}
