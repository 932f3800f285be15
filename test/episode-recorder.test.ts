// EpisodeRecorder: what it writes reads back with our reader and with @mcap/core alone, its
// metadata.yaml passes the system Python's check against rosbag2's field list, the camera budget,
// raw CDR passthrough, the index row, and how write errors stop an episode but not the process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import { McapIndexedReader } from '@mcap/core';

import { BagReader } from '../src/bag/bag-reader.js';
import { decompressHandlers, FileReadable } from '../src/bag/mcap-file.js';
import { knownType } from '../src/bag/message-definitions.js';
import { EpisodeRecorder, RecorderError, type RecordedTopic } from '../src/episode/episode-recorder.js';
import { episodeMcapName } from '../src/episode/episode-ids.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import { StepFlag, type PolicyStep } from '../src/episode/policy-step.js';
import type { CompressedImage, Image, JointState } from '../src/messages/ros-messages.js';
import { timeFromNanoseconds } from '../src/messages/ros-messages.js';
import { checkRosbag2MetadataWithPython } from './helpers/rosbag2-metadata-check.js';

const scratch = mkdtempSync(join(tmpdir(), 'grape-recorder-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const T0 = 1_764_000_000_000_000_000n; // ns since epoch
const MS = 1_000_000n;

const TOPICS: RecordedTopic[] = [
  { name: '/camera/image_raw', type: 'sensor_msgs/msg/Image', camera: true },
  { name: '/wrist/image/compressed', type: 'sensor_msgs/msg/CompressedImage', camera: true },
  { name: '/joint_states', type: 'sensor_msgs/msg/JointState' },
  { name: '/ee_pose', type: 'geometry_msgs/msg/PoseStamped' },
];

function header(t: bigint, frame = '') {
  return { stamp: timeFromNanoseconds(t), frame_id: frame };
}

function image(t: bigint, i: number, width = 64, height = 48): Image {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < data.length; p++) data[p] = (p * 7 + i * 13) & 0xff;
  return {
    header: header(t, 'camera'),
    height,
    width,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: width * 3,
    data,
  };
}

function joints(t: bigint, i: number): JointState {
  return {
    header: header(t),
    name: ['shoulder', 'elbow', 'wrist'],
    position: new Float64Array([i, i / 2, -i]),
    velocity: new Float64Array([0.1, 0.2, 0.3]),
    effort: new Float64Array(0),
  };
}

function step(t: bigint, i: number, flags = 0): PolicyStep {
  return {
    header: header(t),
    step: i,
    policy_id: 'default-v1',
    tokens: new Int32Array([i % 256, 1, 2, 3, 4, 5, 255]),
    action: new Float64Array([0.1 * i, 0, 0, 0, 0, 0, 1]),
    logp: -1.5 - i,
    logp_dims: new Float32Array(0),
    temperature: 1,
    top_k: 0,
    flags,
    features: Float32Array.from({ length: 32 }, (_, k) => i + k / 100),
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('EpisodeRecorder: one episode, end to end', async () => {
  const dataDir = join(scratch, 'e2e');
  const recorder = await EpisodeRecorder.open({
    dataDir,
    topics: TOPICS,
    camera: { rateHz: 10, downscale: 2 },
  });
  const started = await recorder.startEpisode(
    {
      taskId: 'pick-cube',
      instruction: 'pick up the red cube',
      policyId: 'default-v1',
      seed: 42,
      operator: 'ana',
    },
    T0,
  );
  const jointWriter = new MessageWriter(knownType('sensor_msgs/msg/JointState').definitions);
  const rawJoints: Uint8Array[] = [];
  // 2 s: camera and wrist camera at 30 Hz, joints at 100 Hz (every other one as raw CDR), steps at 10 Hz.
  for (let ms = 0; ms < 2000; ms += 10) {
    const t = T0 + BigInt(ms) * MS + MS;
    const i = ms / 10;
    if (ms % 30 === 0) {
      recorder.record('/camera/image_raw', image(t, i), t);
      const jpeg: CompressedImage = {
        header: header(t),
        format: 'jpeg',
        data: new Uint8Array([0xff, 0xd8, i & 0xff]),
      };
      recorder.record('/wrist/image/compressed', jpeg, t);
    }
    if (i % 2 === 0) recorder.record('/joint_states', joints(t, i), t);
    else {
      const cdr = jointWriter.writeMessage(joints(t, i));
      rawJoints.push(cdr);
      recorder.record('/joint_states', cdr, t);
    }
    if (ms % 100 === 0) {
      recorder.step(step(t, ms / 100, ms === 500 ? StepFlag.HOLD | StepFlag.DRY_RUN : 0), t);
      recorder.record(
        '/ee_pose',
        {
          header: header(t),
          pose: { position: { x: i, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
        },
        t,
      );
    }
    if (ms === 1200 || ms === 1500) recorder.event('collision', { with: 'table' }, t);
  }
  const stats = recorder.stats()!;
  const ended = await recorder.endEpisode({ outcome: 'success', notes: 'clean grasp' }, T0 + 2001n * MS);
  await recorder.close();
  const bagDir = join(dataDir, ended.bagPath);
  const mcapPath = join(bagDir, episodeMcapName(ended.id));

  it('writes one rosbag2 directory named after the generated episode id', () => {
    assert.match(started.id, /^ep-\d{8}-\d{6}-[0-9a-f]{6}$/);
    assert.equal(ended.id, started.id);
    assert.deepEqual(readdirSync(bagDir).sort(), [episodeMcapName(ended.id), 'metadata.yaml']);
  });

  it('completes the index row', () => {
    assert.equal(ended.status, 'complete');
    assert.equal(ended.complete, true);
    assert.equal(ended.outcome, 'success');
    assert.equal(ended.stepCount, 20);
    assert.equal(ended.collisions, 2, 'collision events counted');
    assert.equal(ended.seed, 42);
    assert.equal(ended.operator, 'ana');
    assert.equal(ended.taskId, 'pick-cube');
    assert.equal(ended.policyCheckpointId, 'default-v1');
    assert.equal(ended.notes, 'clean grasp');
    assert.equal(ended.writerPid, undefined);
    assert.ok(ended.endedAt);
  });

  it('keeps the camera budget: 10 of 30 frames a second, the first at full resolution, the rest halved', async () => {
    assert.deepEqual(stats.dropped, {});
    // Frames arrive at 0, 30, … 1980 ms (67); at 10 Hz every third is kept: 0, 90, … 1980 ms (23).
    assert.equal(stats.messages['/camera/image_raw'], 23);
    assert.equal(stats.messages['/wrist/image/compressed'], 23);
    assert.equal(stats.skippedFrames, 2 * (67 - 23));
    const bag = await BagReader.open(bagDir);
    const frames = await collect(bag.decoded<Image>({ topics: ['/camera/image_raw'] }));
    await bag.close();
    assert.deepEqual(
      frames.map((f) => `${f.message.width}x${f.message.height}`),
      ['64x48', ...Array<string>(22).fill('32x24')],
    );
    const full = image(0n, 0);
    assert.deepEqual(frames[0]!.message.data, full.data, 'first frame as received');
    const second = frames[1]!.message;
    // The second kept frame arrived at 90 ms (i = 9); its first pixel is the mean of a 2×2 block.
    const source = image(0n, 9);
    const expected = Math.round(
      (source.data[0]! + source.data[3]! + source.data[192]! + source.data[195]!) / 4,
    );
    assert.equal(second.data[0], expected);
    assert.equal(second.step, 32 * 3);
  });

  it('reads back with our reader: every message, values intact, raw CDR byte for byte', async () => {
    const bag = await BagReader.open(bagDir);
    try {
      assert.deepEqual(Object.fromEntries(bag.info.topics.map((t) => [t.name, t.messageCount])), {
        '/camera/image_raw': 23,
        '/wrist/image/compressed': 23,
        '/joint_states': 200,
        '/ee_pose': 20,
        '/grape/step': 20,
        '/grape/episode_event': 4,
      });
      const steps = await collect(bag.decoded<PolicyStep>({ topics: ['/grape/step'] }));
      assert.deepEqual(
        steps.map((s) => s.message.step),
        Array.from({ length: 20 }, (_, i) => i),
      );
      const s5 = steps[5]!.message;
      assert.equal(s5.flags, StepFlag.HOLD | StepFlag.DRY_RUN);
      assert.deepEqual(Array.from(s5.tokens), [5, 1, 2, 3, 4, 5, 255]);
      assert.deepEqual(s5.features, step(0n, 5).features);
      assert.equal(s5.logp, -6.5);
      assert.equal(s5.policy_id, 'default-v1');
      const raw = (await collect(bag.messages({ topics: ['/joint_states'] }))).filter((_, k) => k % 2 === 1);
      assert.deepEqual(
        raw.map((m) => Buffer.from(m.data)),
        rawJoints.map((b) => Buffer.from(b)),
      );
      const events = await collect(
        bag.decoded<{ kind: string; detail: string; episode_id: string }>({
          topics: ['/grape/episode_event'],
        }),
      );
      assert.deepEqual(
        events.map((e) => e.message.kind),
        ['start', 'collision', 'collision', 'end'],
      );
      assert.equal(events[0]!.logTime, T0);
      assert.deepEqual(JSON.parse(events[3]!.message.detail), {
        outcome: 'success',
        collisions: 2,
        notes: 'clean grasp',
      });
      assert.ok(events.every((e) => e.message.episode_id === ended.id));
    } finally {
      await bag.close();
    }
  });

  it('reads back with @mcap/core alone: ros2 profile, ros2msg schemas with dependencies, cdr, statistics, zstd chunks', async () => {
    const readable = await FileReadable.open(mcapPath);
    try {
      const reader = await McapIndexedReader.Initialize({
        readable,
        decompressHandlers: await decompressHandlers(),
      });
      assert.equal(reader.header.profile, 'ros2');
      const schemas = [...reader.schemasById.values()];
      assert.ok(schemas.every((s) => s.encoding === 'ros2msg'));
      const stepSchema = new TextDecoder().decode(
        schemas.find((s) => s.name === 'grape/msg/PolicyStep')!.data,
      );
      assert.match(stepSchema, /^# One control step/);
      assert.match(stepSchema, /\nMSG: std_msgs\/Header\nbuiltin_interfaces\/Time stamp\nstring frame_id/);
      assert.match(stepSchema, /\nMSG: builtin_interfaces\/Time\nint32 sec\nuint32 nanosec/);
      const channels = [...reader.channelsById.values()];
      assert.equal(channels.length, 6);
      for (const c of channels) {
        assert.equal(c.messageEncoding, 'cdr');
        assert.match(
          c.metadata.get('offered_qos_profiles') ?? '',
          /^- history: 1\n {2}depth: \d+\n {2}reliability: [12]/,
        );
      }
      assert.equal(reader.statistics?.messageCount, 290n);
      assert.ok(reader.chunkIndexes.some((c) => c.compression === 'zstd'));
      assert.deepEqual(
        reader.metadataIndexes.map((m) => m.name),
        ['grape_episode', 'grape_episode_end'],
      );
      const [metadata] = await collect(reader.readMetadata({ name: 'grape_episode' }));
      assert.equal(metadata!.metadata.get('instruction'), 'pick up the red cube');
      assert.equal(metadata!.metadata.get('seed'), '42');
      let n = 0;
      for await (const m of reader.readMessages({ validateCrcs: true })) n += m.data.byteLength > 0 ? 1 : 0;
      assert.equal(n, 290);
    } finally {
      await readable.close();
    }
  });

  it('metadata.yaml passes the system Python check against rosbag2 v5 (Humble) fields', () => {
    assert.deepEqual(checkRosbag2MetadataWithPython(join(bagDir, 'metadata.yaml')), []);
  });
});

describe('EpisodeRecorder: contracts', () => {
  it('PolicyStep flags and EpisodeEvent kinds are the constants msg/ defines', () => {
    const constants = (type: string) =>
      Object.fromEntries(
        knownType(type)
          .definitions[0]!.definitions.filter((f) => f.isConstant)
          .map((f) => [f.name, f.value]),
      );
    assert.deepEqual(constants('grape/msg/PolicyStep'), {
      FLAG_DRY_RUN: StepFlag.DRY_RUN,
      FLAG_HOLD: StepFlag.HOLD,
      FLAG_CLAMPED: StepFlag.CLAMPED,
      FLAG_INTERVENTION: StepFlag.INTERVENTION,
    });
    const kinds = Object.values(constants('grape/msg/EpisodeEvent'));
    assert.deepEqual(kinds, [
      'start',
      'end',
      'abort',
      'intervention_start',
      'intervention_end',
      'collision',
      'stale_input',
      'note',
    ]);
  });

  it('misuse is a clear error; nothing is recorded outside an episode', async () => {
    await assert.rejects(
      EpisodeRecorder.open({
        dataDir: join(scratch, 'misuse'),
        topics: [{ name: '/x', type: 'my_msgs/msg/Thing' }],
      }),
      /unknown message type my_msgs\/msg\/Thing/,
    );
    await assert.rejects(
      EpisodeRecorder.open({
        dataDir: join(scratch, 'misuse'),
        topics: [{ name: '/grape/step', type: 'std_msgs/msg/String' }],
      }),
      /\/grape\/step is grape's own topic/,
    );
    const recorder = await EpisodeRecorder.open({ dataDir: join(scratch, 'misuse'), topics: TOPICS });
    assert.equal(recorder.record('/joint_states', joints(T0, 0), T0), false);
    await assert.rejects(recorder.endEpisode({ outcome: 'success' }), /no episode is being recorded/);
    await recorder.startEpisode({ taskId: 't', instruction: 'i', policyId: 'p' });
    await assert.rejects(
      recorder.startEpisode({ taskId: 't', instruction: 'i', policyId: 'p' }),
      /still being recorded/,
    );
    assert.throws(() => recorder.record('/unknown', joints(T0, 0), T0), /topic \/unknown was not declared/);
    assert.throws(
      () => recorder.record('/joint_states', { header: header(T0), name: [1, 2] }, T0),
      (e: Error) =>
        e instanceof RecorderError && /does not serialize as sensor_msgs\/msg\/JointState/.test(e.message),
    );
    const ended = await recorder.endEpisode({ outcome: 'aborted' });
    assert.equal(ended.status, 'complete');
    assert.equal(ended.outcome, 'aborted');
    await recorder.close();
  });

  it('counts messages dropped when the disk falls behind instead of queueing without bound', async () => {
    const recorder = await EpisodeRecorder.open({
      dataDir: join(scratch, 'drops'),
      topics: TOPICS,
      maxPendingBytes: 32 << 10,
      chunkSize: 1 << 20,
    });
    await recorder.startEpisode({ taskId: 't', instruction: 'i', policyId: 'p' });
    // Synchronously, so nothing reaches the disk in between: the queue only grows.
    let kept = 0;
    for (let i = 0; i < 1000; i++)
      if (recorder.record('/joint_states', joints(T0 + BigInt(i), i), T0 + BigInt(i))) kept++;
    const stats = recorder.stats()!;
    assert.ok(kept > 10 && kept < 1000, `kept ${kept} of 1000`);
    assert.equal(stats.dropped['/joint_states'], 1000 - kept);
    const ended = await recorder.endEpisode({ outcome: 'failure' });
    await recorder.close();
    const bag = await BagReader.open(join(scratch, 'drops', ended.bagPath));
    assert.equal(bag.topic('/joint_states').messageCount, kept);
    await bag.close();
  });

  it('closing the recorder during an episode ends it as incomplete, with the reason', async () => {
    const recorder = await EpisodeRecorder.open({ dataDir: join(scratch, 'closed'), topics: TOPICS });
    const started = await recorder.startEpisode({ taskId: 't', instruction: 'i', policyId: 'p' });
    recorder.step(step(T0, 0), T0);
    await recorder.close('the node shut down');
    const index = EpisodeIndex.open(join(scratch, 'closed'));
    const row = index.episode(started.id)!;
    index.close();
    assert.deepEqual(
      [row.status, row.complete, row.error, row.stepCount],
      ['incomplete', false, 'the node shut down', 1],
    );
    const bag = await BagReader.open(join(scratch, 'closed', row.bagPath));
    const events = await collect(
      bag.decoded<{ kind: string; detail: string }>({ topics: ['/grape/episode_event'] }),
    );
    await bag.close();
    assert.deepEqual(JSON.parse(events.at(-1)!.message.detail), {
      collisions: 0,
      cut_short: 'the node shut down',
    });
  });

  it('a producer that can wait (replay) drops nothing: waitForDisk()', async () => {
    const recorder = await EpisodeRecorder.open({
      dataDir: join(scratch, 'drops'),
      topics: TOPICS,
      maxPendingBytes: 32 << 10,
    });
    await recorder.startEpisode({ taskId: 't', instruction: 'i', policyId: 'p' });
    for (let i = 0; i < 1000; i++) {
      await recorder.waitForDisk(16 << 10);
      assert.ok(recorder.record('/joint_states', joints(T0 + BigInt(i), i), T0 + BigInt(i)), `message ${i}`);
    }
    assert.deepEqual(recorder.stats()!.dropped, {});
    const ended = await recorder.endEpisode({ outcome: 'success' });
    await recorder.close();
    const bag = await BagReader.open(join(scratch, 'drops', ended.bagPath));
    assert.equal(bag.topic('/joint_states').messageCount, 1000);
    await bag.close();
  });
});

// Write failures need a small or read-only filesystem: a tmpfs where we may mount one (root in a
// container or VM); elsewhere these tests say why they skip.
function mountTmpfs(dir: string, options: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `cannot mount a tmpfs here: ${r.stderr.trim()}`;
}

/** Lazy unmount: never masks the test's own failure, even if a file is still open. */
function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
}

describe('EpisodeRecorder: write errors stop the episode, not the process', () => {
  it('disk full: onError, the row says why, the process records the next episode; recovery repairs the bag', async (t) => {
    const dataDir = join(scratch, 'full');
    const episodes = join(dataDir, 'episodes');
    const skip = mountTmpfs(episodes, 'size=1m');
    if (skip) {
      t.skip(skip);
      return;
    }
    try {
      const errors: RecorderError[] = [];
      const recorder = await EpisodeRecorder.open({
        dataDir,
        topics: TOPICS,
        camera: { rateHz: 0 },
        chunkSize: 64 << 10,
        onError: (e) => errors.push(e),
      });
      await recorder.startEpisode({ taskId: 't', instruction: 'fill the disk', policyId: 'p' });
      let recorded = 0;
      const noise = image(T0, 0, 160, 120);
      for (let i = 0; i < 1000 && errors.length === 0; i++) {
        const ts = T0 + BigInt(i) * 33n * MS;
        noise.data = randomBytes(noise.data.length); // incompressible: fills the 1 MiB disk in ~20 frames
        if (recorder.record('/camera/image_raw', noise, ts)) recorded++;
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(errors.length, 1, 'onError called once');
      assert.match(errors[0]!.message, /writing .*_0\.mcap failed: the disk is full\. Recording stopped/);
      assert.equal(recorder.record('/camera/image_raw', image(T0, 0), T0), false, 'the episode is stopped');
      const ended = await recorder.endEpisode({ outcome: 'failure' });
      assert.equal(ended.status, 'damaged');
      assert.match(ended.error ?? '', /the disk is full/);
      assert.ok(recorded > 3);

      // Space is freed (here: the filesystem grows); the same recorder records the next episode.
      spawnSync('mount', ['-o', 'remount,size=64m', episodes]);
      await recorder.startEpisode({ taskId: 't', instruction: 'after the disk was freed', policyId: 'p' });
      assert.ok(recorder.record('/joint_states', joints(T0, 1), T0));
      assert.equal((await recorder.endEpisode({ outcome: 'success' })).status, 'complete');
      await recorder.close();

      // The next recorder to open repairs the damaged bag.
      const next = await EpisodeRecorder.open({ dataDir, topics: TOPICS });
      assert.equal(next.recovery.recovered.length, 1);
      const row = next.index.episode(ended.id)!;
      assert.equal(row.status, 'incomplete');
      assert.match(row.error ?? '', /the disk is full.*recovered \d+ messages/);
      const bag = await BagReader.open(join(dataDir, row.bagPath));
      assert.ok(bag.topic('/camera/image_raw').messageCount > 0);
      assert.equal(bag.info.files[0]!.damage, undefined, 'repaired: indexed again');
      await bag.close();
      await next.close();
    } finally {
      unmount(episodes);
    }
  });

  it('an unwritable episodes directory: startEpisode fails with the path and the reason', async (t) => {
    const dataDir = join(scratch, 'readonly');
    const episodes = join(dataDir, 'episodes');
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const skip = mountTmpfs(episodes, 'ro,size=1m');
      if (skip) {
        t.skip(skip);
        return;
      }
    } else {
      mkdirSync(episodes, { recursive: true });
      chmodSync(episodes, 0o555);
    }
    try {
      const recorder = await EpisodeRecorder.open({ dataDir, topics: TOPICS });
      await assert.rejects(
        recorder.startEpisode({ taskId: 't', instruction: 'i', policyId: 'p' }),
        (e: Error) =>
          e instanceof RecorderError &&
          /cannot record episode ep-[\w-]+: cannot create .*episodes\/.*_0\.mcap: (EROFS|EACCES)/.test(
            e.message,
          ),
      );
      const [row] = recorder.index.episodes();
      assert.equal(row!.status, 'incomplete');
      assert.equal(row!.outcome, 'aborted');
      assert.equal(recorder.episodeId, undefined);
      await recorder.close();
    } finally {
      if (asRoot) unmount(episodes);
      else chmodSync(episodes, 0o755);
    }
  });
});
