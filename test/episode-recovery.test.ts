// Crash safety: a recorder process killed with SIGKILL mid-episode leaves a bag that reads back to
// its last flushed chunk; `grape recover` (or the next recorder to open) repairs it, keeping
// everything flushed, and marks the episode incomplete. Plus repair at every cut point of a file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';

import { McapIndexedReader } from '@mcap/core';

import { BagReader } from '../src/bag/bag-reader.js';
import { decompressHandlers, FileReadable } from '../src/bag/mcap-file.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import { episodeMcapName } from '../src/episode/episode-ids.js';
import { EpisodeRecorder } from '../src/episode/episode-recorder.js';
import { recoverEpisodes, type RecoveryReport } from '../src/episode/episode-recovery.js';
import { repairMcapFile } from '../src/episode/mcap-repair.js';
import { runCli } from './helpers/cli.js';
import { checkRosbag2MetadataWithPython } from './helpers/rosbag2-metadata-check.js';

const scratch = mkdtempSync(join(tmpdir(), 'grape-recovery-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});
const CHILD = join(import.meta.dirname, 'helpers', 'recording-child.ts');

/** Runs a recording child until `onDisk` messages have reached its disk, then SIGKILLs it. */
async function recordAndKill(
  dataDir: string,
  onDisk: number,
): Promise<{ episodeId: string; reported: number; pid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => {
      resolve(signal);
    }),
  );
  let episodeId = '';
  let reported = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const [key, value] = line.split(' ');
    if (key === 'episode') episodeId = value!;
    if (key === 'on-disk') reported = Number(value);
    if (reported >= onDisk) {
      child.kill('SIGKILL');
      break;
    }
  }
  assert.equal(await exited, 'SIGKILL', `child did not run as expected: ${stderr}`);
  return { episodeId, reported, pid: child.pid! };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Joint positions (0, 1, 2…) and step indexes of a bag: a crash may lose a tail, never a middle. */
async function sequences(path: string): Promise<{ joints: number[]; steps: number[]; total: number }> {
  const bag = await BagReader.open(path);
  try {
    const read = <T>(topic: string) =>
      bag.info.topics.some((t) => t.name === topic) ? collect(bag.decoded<T>({ topics: [topic] })) : [];
    const joints = await read<{ position: Float64Array }>('/joint_states');
    const steps = await read<{ step: number }>('/grape/step');
    return {
      joints: joints.map((m) => m.message.position[0]!),
      steps: steps.map((m) => m.message.step),
      total: bag.info.messageCount,
    };
  } finally {
    await bag.close();
  }
}

function assertPrefix(values: number[], what: string): void {
  assert.deepEqual(
    values,
    Array.from({ length: values.length }, (_, i) => i),
    `${what} are 0…n-1 with no gap`,
  );
}

async function indexedMessageCount(file: string): Promise<number> {
  const readable = await FileReadable.open(file);
  try {
    const reader = await McapIndexedReader.Initialize({
      readable,
      decompressHandlers: await decompressHandlers(),
    });
    let n = 0;
    for await (const m of reader.readMessages({ validateCrcs: true })) n += m.channelId >= 0 ? 1 : 0;
    assert.equal(BigInt(n), reader.statistics?.messageCount);
    return n;
  } finally {
    await readable.close();
  }
}

describe('a recorder killed with SIGKILL mid-episode', () => {
  it('leaves a bag that reads to its last flushed chunk; grape recover repairs it and keeps everything flushed', async () => {
    const dataDir = join(scratch, 'killed');
    const { episodeId, reported, pid } = await recordAndKill(dataDir, 3000);

    let index = EpisodeIndex.open(dataDir);
    const row = index.episode(episodeId)!;
    index.close();
    assert.equal(row.status, 'recording');
    assert.equal(row.writerPid, pid);
    const bagDir = join(dataDir, row.bagPath);
    const mcap = join(bagDir, episodeMcapName(episodeId));

    // Before repair: no summary, no metadata.yaml; streaming reads everything flushed.
    const before = await sequences(bagDir);
    assert.ok(before.total >= reported, `read ${before.total} messages, the child had ${reported} on disk`);
    assertPrefix(before.joints, 'joint positions');
    assertPrefix(before.steps, 'steps');

    const r = runCli(['recover', '--json', '--data-dir', dataDir]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as RecoveryReport;
    assert.equal(report.recovered.length, 1);
    const recovered = report.recovered[0]!;
    assert.equal(recovered.id, episodeId);
    assert.equal(recovered.messages, before.total, 'every message that read back before the repair is kept');
    assert.equal(recovered.steps, before.steps.length);

    const after = await sequences(bagDir);
    assert.deepEqual(after.joints, before.joints);
    assert.deepEqual(after.steps, before.steps);
    assert.equal(await indexedMessageCount(mcap), before.total, 'indexed readers open it again');
    assert.deepEqual(checkRosbag2MetadataWithPython(join(bagDir, 'metadata.yaml')), []);

    index = EpisodeIndex.open(dataDir);
    const repaired = index.episode(episodeId)!;
    index.close();
    assert.equal(repaired.status, 'incomplete');
    assert.equal(repaired.complete, false);
    assert.equal(repaired.stepCount, before.steps.length);
    assert.match(repaired.error ?? '', /stopped without ending the episode; recovered \d+ messages/);
    assert.equal(repaired.writerPid, undefined);

    const again = runCli(['recover', '--data-dir', dataDir]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /nothing to recover/);
  });

  it('is recovered by the next recorder to open the data dir', async () => {
    const dataDir = join(scratch, 'next-start');
    const { episodeId, reported } = await recordAndKill(dataDir, 1000);
    const recorder = await EpisodeRecorder.open({ dataDir, topics: [] });
    try {
      assert.deepEqual(
        recorder.recovery.recovered.map((e) => e.id),
        [episodeId],
      );
      assert.ok(recorder.recovery.recovered[0]!.messages >= reported);
      assert.equal(recorder.index.episode(episodeId)!.status, 'incomplete');
    } finally {
      await recorder.close();
    }
  });

  it('leaves alone an episode whose recorder is still running, unless forced', async () => {
    const dataDir = join(scratch, 'live');
    const recorder = await EpisodeRecorder.open({ dataDir, topics: [] });
    const live = await recorder.startEpisode({ taskId: 't', instruction: 'i', policyId: 'p' });
    const index = EpisodeIndex.open(dataDir);
    try {
      const report = await recoverEpisodes(index);
      assert.deepEqual(report.recovered, []);
      assert.deepEqual(report.skipped, [
        { id: live.id, reason: `process ${process.pid} is still recording it` },
      ]);
      const text = runCli(['recover', '--data-dir', dataDir]);
      assert.match(text.stdout, new RegExp(`skipped ${live.id}: process \\d+ is still recording it`));
    } finally {
      index.close();
      await recorder.close();
    }
  });
});

describe('repairMcapFile', async () => {
  // A complete recording with many small chunks to cut at every kind of place.
  const dataDir = join(scratch, 'cuts');
  const recorder = await EpisodeRecorder.open({
    dataDir,
    topics: [{ name: '/joint_states', type: 'sensor_msgs/msg/JointState' }],
    chunkSize: 2 << 10,
  });
  const episode = await recorder.startEpisode({ taskId: 't', instruction: 'i', policyId: 'p' });
  for (let i = 0; i < 300; i++) {
    const t = 1_764_000_000_000_000_000n + BigInt(i) * 1_000_000n;
    recorder.record(
      '/joint_states',
      {
        header: { stamp: { sec: 0, nanosec: i }, frame_id: '' },
        name: ['j'],
        position: [i],
        velocity: [],
        effort: [],
      },
      t,
    );
  }
  await recorder.endEpisode({ outcome: 'success' });
  await recorder.close();
  const original = join(dataDir, episode.bagPath, episodeMcapName(episode.id));
  const bytes = readFileSync(original);

  async function chunkIndexes() {
    const readable = await FileReadable.open(original);
    try {
      return (
        await McapIndexedReader.Initialize({ readable, decompressHandlers: await decompressHandlers() })
      ).chunkIndexes;
    } finally {
      await readable.close();
    }
  }

  function cutCopy(name: string, length: number): string {
    const file = join(scratch, `${name}.mcap`);
    copyFileSync(original, file);
    truncateSync(file, length);
    return file;
  }

  it('leaves a complete file alone', async () => {
    const copy = cutCopy('complete', bytes.length);
    const repair = await repairMcapFile(copy);
    assert.equal(repair.alreadyComplete, true);
    assert.deepEqual(readFileSync(copy), bytes);
  });

  it('at every cut point: kept messages are a gap-free prefix, as many as streaming reads, and the file is indexed again', async () => {
    const chunks = await chunkIndexes();
    assert.ok(chunks.length > 10);
    const dataEnd = Number(
      chunks.at(-1)!.chunkStartOffset + chunks.at(-1)!.chunkLength + chunks.at(-1)!.messageIndexLength,
    );
    let previous = 0;
    const headerEnd = 8 + 9 + Number(bytes.readBigUInt64LE(9)); // magic, then the Header record
    for (let length = headerEnd; length <= dataEnd + 40; length += 97) {
      const file = cutCopy(`cut-${length}`, length);
      const streamed = (await sequences(file)).total;
      const repair = await repairMcapFile(file);
      assert.equal(repair.alreadyComplete, false);
      const count = await indexedMessageCount(file);
      assert.equal(count, streamed, `cut at ${length}`);
      assert.ok(count >= previous, 'a longer file never keeps fewer messages');
      previous = count;
      const positions = (await sequences(file)).joints;
      assertPrefix(positions, `joints (cut at ${length})`);
      rmSync(file);
    }
    assert.equal(previous, 302, '300 joint states and the start and end events');
  });

  it('re-encodes a last chunk whose message indexes were cut off', async () => {
    const last = (await chunkIndexes()).at(-1)!;
    const file = cutCopy('torn-index', Number(last.chunkStartOffset + last.chunkLength) + 5);
    const repair = await repairMcapFile(file);
    assert.equal(repair.droppedBytes, 5);
    assert.equal(await indexedMessageCount(file), 302, 'the whole last chunk is kept');
  });

  it('cuts garbage after the last complete record; refuses a file without a header', async () => {
    const file = cutCopy('garbage', statSync(original).size - 300);
    appendFileSync(file, randomBytes(1000));
    const repair = await repairMcapFile(file);
    assert.ok(repair.droppedBytes >= 1000);
    assertPrefix((await sequences(file)).joints, 'joints');
    const empty = join(scratch, 'magic-only.mcap');
    writeFileSync(empty, bytes.subarray(0, 8));
    await assert.rejects(repairMcapFile(empty), /no complete MCAP header: nothing to recover/);
  });
});
